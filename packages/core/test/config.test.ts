import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const issuesOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
};

describe('loadConfig', () => {
  it('uses the embedded default for every unset connection variable', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', logLevel: 'info' });
    expect([config.kafka, config.s3, config.databaseUrl, config.clickhouse, config.redisUrl]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ KAFKA_BROKERS: '  ', REDIS_URL: '' }).kafka).toBeUndefined();
  });

  it('reads every real service', () => {
    const config = loadConfig({
      PORT: '9000',
      KAFKA_BROKERS: '127.0.0.1:19092, kafka-2.internal:9092',
      S3_ENDPOINT: 'http://127.0.0.1:19000',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/streamloop',
      CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      REDIS_URL: 'redis://127.0.0.1:6379/2',
    });
    expect(config.port).toBe(9000);
    expect(config.kafka?.brokers).toEqual(['127.0.0.1:19092', 'kafka-2.internal:9092']);
    expect(config.s3).toEqual({
      endpoint: 'http://127.0.0.1:19000',
      bucket: 'streamloop',
      region: 'us-east-1',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
    });
    expect(config.clickhouse).toEqual({
      url: 'http://127.0.0.1:8123',
      user: 'default',
      password: '',
      database: 'streamloop',
    });
  });

  it.each([
    [{ PORT: '70000' }, 'PORT', /above 65535/],
    [{ PORT: '-1' }, 'PORT', /not a port number/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /not one of/],
    [{ KAFKA_BROKERS: '127.0.0.1' }, 'KAFKA_BROKERS', /'127.0.0.1' is not host:port/],
    [{ KAFKA_BROKERS: 'a:1,b:99999' }, 'KAFKA_BROKERS', /'b:99999'/],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /is not a URL/],
    [{ DATABASE_URL: 'mysql://h/db' }, 'DATABASE_URL', /scheme 'mysql:'/],
    [{ DATABASE_URL: 'postgres://h:5432' }, 'DATABASE_URL', /names no database/],
    [{ REDIS_URL: 'http://h:6379' }, 'REDIS_URL', /scheme 'http:'/],
    [{ CLICKHOUSE_URL: 'tcp://h:9000' }, 'CLICKHOUSE_URL', /scheme 'tcp:'/],
    [{ CLICKHOUSE_DATABASE: 'x; DROP' }, 'CLICKHOUSE_DATABASE', /not a plain identifier/],
    [{ S3_ENDPOINT: 'http://h:9000' }, 'S3_ACCESS_KEY_ID', /required when S3_ENDPOINT is set/],
    [
      {
        S3_ENDPOINT: 'http://h:9000',
        S3_ACCESS_KEY_ID: 'a',
        S3_SECRET_ACCESS_KEY: 'b',
        S3_BUCKET: 'Bad_Bucket',
      },
      'S3_BUCKET',
      /not a valid bucket name/,
    ],
    [{ STREAMLOOP_API_KEY: 'short' }, 'STREAMLOOP_API_KEY', /at least 16/],
    [{ STREAMLOOP_SIGNING_SECRET: 'short' }, 'STREAMLOOP_SIGNING_SECRET', /at least 32/],
    [{ STREAMLOOP_HLS_ENCRYPTION: 'sample-aes' }, 'STREAMLOOP_HLS_ENCRYPTION', /not one of none, aes-128/],
    [{ UPLOAD_MAX_BYTES: '10GB' }, 'UPLOAD_MAX_BYTES', /not a whole number/],
    [{ UPLOAD_EXPIRY_HOURS: '0' }, 'UPLOAD_EXPIRY_HOURS', /not a whole number ≥ 1/],
    [{ BEACON_RATE_LIMIT: '-5' }, 'BEACON_RATE_LIMIT', /not a whole number/],
    [{ BEACON_BUFFER_MAX: '0' }, 'BEACON_BUFFER_MAX', /not a whole number ≥ 1/],
    [
      { ALERT_WEBHOOK_URL: 'ftp://h/x', ALERT_WEBHOOK_SECRET: 's'.repeat(32) },
      'ALERT_WEBHOOK_URL',
      /not an http/,
    ],
    [{ ALERT_WEBHOOK_URL: 'https://h/x' }, 'ALERT_WEBHOOK_SECRET', /at least 32/],
    [{ QOE_PRIVACY_MIN_VIEWERS: '0' }, 'QOE_PRIVACY_MIN_VIEWERS', /whole number ≥ 1/],
    [{ ALERT_WEBHOOK_SECRET: 's'.repeat(32) }, 'ALERT_WEBHOOK_SECRET', /ALERT_WEBHOOK_URL is not/],
  ])('%o fails naming %s', (env, variable, message) => {
    const issues = issuesOf(env as Record<string, string>);
    expect(issues.map((i) => i.variable)).toContain(variable);
    expect(issues.find((i) => i.variable === variable)?.message).toMatch(message);
  });

  it('reads the alert webhook, and none when unset', () => {
    const secret = 'a'.repeat(40);
    expect(
      loadConfig({ ALERT_WEBHOOK_URL: 'https://hooks.example/streamloop', ALERT_WEBHOOK_SECRET: secret })
        .alertWebhook,
    ).toEqual({
      url: 'https://hooks.example/streamloop',
      secret,
    });
    expect(loadConfig({}).alertWebhook).toBeUndefined();
  });

  it('reads the beacon collector tuning', () => {
    const config = loadConfig({
      BEACON_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      BEACON_COUNTRY_HEADER: 'CF-IPCountry',
      BEACON_RATE_LIMIT: '0',
      BEACON_BUFFER_MAX: '1000',
      BEACON_SPOOL_MAX_BYTES: '1048576',
    });
    expect(config.beacons).toEqual({
      allowedOrigins: ['https://a.example', 'https://b.example'],
      countryHeader: 'cf-ipcountry',
      rateLimitPerSecond: 0,
      bufferMaxBeacons: 1000,
      spoolMaxBytes: 1048576,
    });
    expect(loadConfig({}).beacons.rateLimitPerSecond).toBeUndefined();
  });

  it('reads the upload limits', () => {
    const config = loadConfig({
      UPLOAD_MAX_BYTES: '53687091200',
      UPLOAD_ALLOWED_TYPES: 'video/*, Application/MXF',
      UPLOAD_EXPIRY_HOURS: '2',
    });
    expect(config.uploads).toEqual({
      maxUploadBytes: 50 * 1024 ** 3,
      allowedTypes: ['video/*', 'application/mxf'],
      uploadExpirationMs: 2 * 60 * 60 * 1000,
    });
  });

  it("turns the playback API's start-rung hint off with PLAYBACK_START_HINT=off, and refuses other words", () => {
    expect(loadConfig({}).playbackStartHint).toBe(true);
    expect(loadConfig({ PLAYBACK_START_HINT: 'on' }).playbackStartHint).toBe(true);
    expect(loadConfig({ PLAYBACK_START_HINT: 'off' }).playbackStartHint).toBe(false);
    expect(() => loadConfig({ PLAYBACK_START_HINT: 'false' })).toThrow(
      "PLAYBACK_START_HINT: 'false' is not one of on, off",
    );
  });

  it('probes new uploads for per-title plans unless TRANSCODE_CONTENT_PROBE=off, and refuses other words', () => {
    expect(loadConfig({}).transcodeContentProbe).toBe(true);
    expect(loadConfig({ TRANSCODE_CONTENT_PROBE: 'off' }).transcodeContentProbe).toBe(false);
    expect(() => loadConfig({ TRANSCODE_CONTENT_PROBE: 'no' })).toThrow(
      "TRANSCODE_CONTENT_PROBE: 'no' is not one of on, off",
    );
  });

  it('plans new uploads per title only with TRANSCODE_PER_TITLE=on, and refuses other words', () => {
    expect(loadConfig({}).transcodePerTitle).toBe(false);
    expect(loadConfig({ TRANSCODE_PER_TITLE: 'on' }).transcodePerTitle).toBe(true);
    expect(() => loadConfig({ TRANSCODE_PER_TITLE: 'yes' })).toThrow(
      "TRANSCODE_PER_TITLE: 'yes' is not one of on, off",
    );
  });

  it('reports every wrong variable at once, each by name', () => {
    const err = (() => {
      try {
        loadConfig({ PORT: 'x', REDIS_URL: 'nope' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.message).toMatch(/^PORT: .*; REDIS_URL: /);
  });
});
