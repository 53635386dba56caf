/**
 * The one place that reads the environment. Every process calls `loadConfig()` once in its
 * composition root and hands each component the slice it needs (`Pick<Config, 'kafka'>`).
 *
 * Unset connection variables mean "use the embedded default"; a variable that is set but wrong
 * fails the start with its name and what is wrong, never a stack trace.
 */
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
}

export interface S3Config {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ClickHouseConfig {
  url: string;
  user: string;
  password: string;
  database: string;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  logLevel: LogLevel;
  apiKey: string | undefined;
  signingSecret: string | undefined;
  /**
   * Proxies whose X-Forwarded-For is believed (fastify `trustProxy`: addresses/CIDRs). Unset: none,
   * so a client cannot dodge per-IP limits by rotating the header.
   */
  trustProxy: string[] | undefined;
  /** The single-process stack creates a demo video on first start (STREAMLOOP_DEMO=0 turns it off). */
  demo: boolean;
  /** Unset: the embedded log, append-only files under `<dataDir>/event-log`. */
  kafka: KafkaConfig | undefined;
  /** Unset: a local folder under dataDir. */
  s3: S3Config | undefined;
  /** Unset: embedded PostgreSQL (PGlite) under dataDir. */
  databaseUrl: string | undefined;
  /** Unset: chdb (the ClickHouse engine in-process) under dataDir. */
  clickhouse: ClickHouseConfig | undefined;
  /** Unset: the in-memory feature store. */
  redisUrl: string | undefined;
  /** HLS segment encryption for new transcodes: 'aes-128' (key per video, served by delivery) or 'none'. */
  hlsEncryption: 'none' | 'aes-128';
  /** Delivery answers viewers their start-rung hint (issue 14); PLAYBACK_START_HINT=off turns it off. */
  playbackStartHint: boolean;
  /** Transcode probes each new upload's content once it is ready, for per-title ladder plans (issue 13). */
  transcodeContentProbe: boolean;
  /** A new upload's primary ladder is its content-only per-title plan (issue 13); off by default. */
  transcodePerTitle: boolean;
  /** Where QoE alerts are POSTed (issue 15); unset: alerts are only shown in the dashboards. */
  alertWebhook: { url: string; secret: string } | undefined;
  /**
   * The dashboards' privacy floor (issue 15): a breakdown cell, rung or views list backed by fewer
   * distinct viewers than this is suppressed, so no answer singles out one person.
   */
  privacyMinViewers: number;
  /** Beacon collector tuning; every field unset means the collector's default. */
  beacons: BeaconCollectorConfig;
  /** Upload limits; every field unset means ingest's default. */
  uploads: UploadLimitsConfig;
}

export interface UploadLimitsConfig {
  /** Larger declared uploads are refused with 413 before a byte is stored. */
  maxUploadBytes: number | undefined;
  /** Media types an upload may declare (`video/*` wildcards); undefined: any. */
  allowedTypes: string[] | undefined;
  /** Unfinished uploads expire (410, parts aborted) after this many ms. */
  uploadExpirationMs: number | undefined;
}

export interface BeaconCollectorConfig {
  /** Browser origins allowed to POST beacons; undefined: any (beacons carry no credentials). */
  allowedOrigins: string[] | undefined;
  /** A header a trusted edge sets to the viewer's country (e.g. `cf-ipcountry`). */
  countryHeader: string | undefined;
  /** Sustained requests per second per client; 0 turns the limit off. */
  rateLimitPerSecond: number | undefined;
  /** Beacons waiting in memory for Kafka's acknowledgement before answering 503. */
  bufferMaxBeacons: number | undefined;
  /** Bytes the collector's spool (under dataDir) may hold while Kafka is unavailable; full answers 503. */
  spoolMaxBytes: number | undefined;
}

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.variable}: ${i.message}`).join('; '));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The variables this loader understands, for docs and for `--help` style listings. */
export const CONFIG_VARIABLES = [
  ['PORT', '8080', 'HTTP port of the process'],
  ['HOST', '127.0.0.1', 'interface to listen on (0.0.0.0 to expose)'],
  ['STREAMLOOP_DATA_DIR', './.streamloop', 'where embedded adapters keep their data'],
  ['STREAMLOOP_API_KEY', 'generated and printed', 'management API key (Bearer)'],
  ['STREAMLOOP_SIGNING_SECRET', 'generated per data dir', 'HMAC secret for playback tokens (≥ 32 chars)'],
  ['STREAMLOOP_DEMO', '1', 'create a generated demo video on first start (0 to skip)'],
  ['TRUST_PROXY', 'none', 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed'],
  ['LOG_LEVEL', 'info', 'fatal, error, warn, info, debug, trace or silent'],
  ['KAFKA_BROKERS', 'embedded log', 'comma-separated host:port list'],
  ['S3_ENDPOINT', 'local folder', 'S3-compatible endpoint URL (path-style)'],
  ['S3_BUCKET', 'streamloop', 'bucket for uploads and renditions'],
  ['S3_REGION', 'us-east-1', 'region used for request signing'],
  ['S3_ACCESS_KEY_ID', '—', 'required with S3_ENDPOINT'],
  ['S3_SECRET_ACCESS_KEY', '—', 'required with S3_ENDPOINT'],
  ['DATABASE_URL', 'embedded PostgreSQL (PGlite)', 'postgres://user:pass@host:port/db'],
  ['CLICKHOUSE_URL', 'chdb in-process', 'http(s)://host:8123'],
  ['CLICKHOUSE_USER', 'default', 'ClickHouse user'],
  ['CLICKHOUSE_PASSWORD', '(empty)', 'ClickHouse password'],
  ['CLICKHOUSE_DATABASE', 'streamloop', 'ClickHouse database'],
  ['REDIS_URL', 'in-memory', 'redis://host:port/db'],
  ['STREAMLOOP_HLS_ENCRYPTION', 'none', 'aes-128: encrypt new renditions (HLS only; no DASH MPD then)'],
  ['PLAYBACK_START_HINT', 'on', "off: the playback API answers no viewer's start-rung hint"],
  [
    'TRANSCODE_CONTENT_PROBE',
    'on',
    'off: no content probe after an upload is ready (then no per-title ladder plan for it)',
  ],
  [
    'TRANSCODE_PER_TITLE',
    'off',
    "on: a new upload's primary ladder is planned from its content (probe first) instead of the default ladder",
  ],
  [
    'UPLOAD_MAX_BYTES',
    '10737418240 (10 GiB)',
    'largest upload; bigger declared lengths get 413 before any byte is stored',
  ],
  [
    'UPLOAD_ALLOWED_TYPES',
    'any',
    'comma-separated media types an upload may declare (video/* wildcards); others get 415',
  ],
  [
    'UPLOAD_EXPIRY_HOURS',
    '24',
    'unfinished uploads expire (410) and their parts are aborted after this many hours',
  ],
  ['ALERT_WEBHOOK_URL', 'none', 'http(s) URL that receives QoE alert events (JSON, signed)'],
  [
    'ALERT_WEBHOOK_SECRET',
    '—',
    'required with ALERT_WEBHOOK_URL: HMAC-SHA256 key for the signature (≥ 32 chars)',
  ],
  [
    'QOE_PRIVACY_MIN_VIEWERS',
    '5',
    'breakdown cells, rungs and view lists backed by fewer distinct viewers are suppressed ("< k viewers")',
  ],
  ['BEACON_ALLOWED_ORIGINS', 'any', 'comma-separated browser origins allowed to send beacons'],
  ['BEACON_COUNTRY_HEADER', 'none', 'header a trusted edge sets to the viewer country (cf-ipcountry)'],
  ['BEACON_RATE_LIMIT', '50', 'beacon requests per second per client (0: no limit)'],
  [
    'BEACON_BUFFER_MAX',
    '50000',
    'beacons waiting in memory for Kafka to acknowledge them before answering 503',
  ],
  [
    'BEACON_SPOOL_MAX_BYTES',
    '268435456',
    'bytes of beacons spooled to disk while Kafka is down before answering 503',
  ],
] as const;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const issues: ConfigIssue[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const fail = (variable: string, message: string): undefined => {
    issues.push({ variable, message });
    return undefined;
  };

  const port = parsePort(read('PORT') ?? '8080', 'PORT', fail);
  const logLevelRaw = read('LOG_LEVEL') ?? 'info';
  const logLevel = (LOG_LEVELS as readonly string[]).includes(logLevelRaw)
    ? (logLevelRaw as LogLevel)
    : fail('LOG_LEVEL', `'${logLevelRaw}' is not one of ${LOG_LEVELS.join(', ')}`);

  const apiKey = read('STREAMLOOP_API_KEY');
  if (apiKey !== undefined && apiKey.length < 16) {
    fail('STREAMLOOP_API_KEY', 'must be at least 16 characters (unset it to have one generated)');
  }
  const signingSecret = read('STREAMLOOP_SIGNING_SECRET');
  if (signingSecret !== undefined && signingSecret.length < 32) {
    fail('STREAMLOOP_SIGNING_SECRET', 'must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  }

  const kafka = parseKafka(read('KAFKA_BROKERS'), fail);
  const privacyMinViewers =
    parseCount(read('QOE_PRIVACY_MIN_VIEWERS'), 'QOE_PRIVACY_MIN_VIEWERS', 1, fail) ?? 5;
  const alertWebhook = parseAlertWebhook(read('ALERT_WEBHOOK_URL'), read('ALERT_WEBHOOK_SECRET'), fail);
  const s3 = parseS3(read, fail);
  const databaseUrl = parseDatabaseUrl(read('DATABASE_URL'), fail);
  const clickhouse = parseClickHouse(read, fail);
  const redisUrl = parseUrlVar(
    read('REDIS_URL'),
    'REDIS_URL',
    ['redis:', 'rediss:'],
    'redis://127.0.0.1:6379',
    fail,
  );

  const beacons: BeaconCollectorConfig = {
    allowedOrigins: read('BEACON_ALLOWED_ORIGINS')
      ?.split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    countryHeader: read('BEACON_COUNTRY_HEADER')?.toLowerCase(),
    rateLimitPerSecond: parseCount(read('BEACON_RATE_LIMIT'), 'BEACON_RATE_LIMIT', 0, fail),
    bufferMaxBeacons: parseCount(read('BEACON_BUFFER_MAX'), 'BEACON_BUFFER_MAX', 1, fail),
    spoolMaxBytes: parseCount(read('BEACON_SPOOL_MAX_BYTES'), 'BEACON_SPOOL_MAX_BYTES', 65_536, fail, 15),
  };

  const expiryHours = parseCount(read('UPLOAD_EXPIRY_HOURS'), 'UPLOAD_EXPIRY_HOURS', 1, fail);
  const uploads: UploadLimitsConfig = {
    maxUploadBytes: parseCount(read('UPLOAD_MAX_BYTES'), 'UPLOAD_MAX_BYTES', 1, fail, 15),
    allowedTypes: read('UPLOAD_ALLOWED_TYPES')
      ?.split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
    uploadExpirationMs: expiryHours === undefined ? undefined : expiryHours * 3_600_000,
  };

  const hlsEncryptionRaw = read('STREAMLOOP_HLS_ENCRYPTION') ?? 'none';
  const hlsEncryption =
    hlsEncryptionRaw === 'none' || hlsEncryptionRaw === 'aes-128'
      ? hlsEncryptionRaw
      : fail('STREAMLOOP_HLS_ENCRYPTION', `'${hlsEncryptionRaw}' is not one of none, aes-128`);
  const startHintRaw = read('PLAYBACK_START_HINT') ?? 'on';
  if (startHintRaw !== 'on' && startHintRaw !== 'off')
    fail('PLAYBACK_START_HINT', `'${startHintRaw}' is not one of on, off`);
  const contentProbeRaw = read('TRANSCODE_CONTENT_PROBE') ?? 'on';
  if (contentProbeRaw !== 'on' && contentProbeRaw !== 'off')
    fail('TRANSCODE_CONTENT_PROBE', `'${contentProbeRaw}' is not one of on, off`);
  const perTitleRaw = read('TRANSCODE_PER_TITLE') ?? 'off';
  if (perTitleRaw !== 'on' && perTitleRaw !== 'off')
    fail('TRANSCODE_PER_TITLE', `'${perTitleRaw}' is not one of on, off`);

  if (issues.length > 0) throw new ConfigError(issues);
  return {
    port: port!,
    host: read('HOST') ?? '127.0.0.1',
    dataDir: path.resolve(read('STREAMLOOP_DATA_DIR') ?? '.streamloop'),
    logLevel: logLevel!,
    apiKey,
    signingSecret,
    demo: read('STREAMLOOP_DEMO') !== '0',
    trustProxy: read('TRUST_PROXY')
      ?.split(',')
      .map((p) => p.trim()),
    kafka,
    s3,
    databaseUrl,
    clickhouse,
    redisUrl,
    hlsEncryption: hlsEncryption!,
    playbackStartHint: startHintRaw !== 'off',
    transcodeContentProbe: contentProbeRaw !== 'off',
    transcodePerTitle: perTitleRaw === 'on',
    alertWebhook,
    privacyMinViewers,
    beacons,
    uploads,
  };
}

function parseCount(
  raw: string | undefined,
  variable: string,
  min: number,
  fail: Fail,
  maxDigits = 9,
): number | undefined {
  if (raw === undefined) return undefined;
  if (!new RegExp(`^\\d{1,${maxDigits}}$`).test(raw) || Number(raw) < min) {
    return fail(variable, `'${raw}' is not a whole number ≥ ${min}`);
  }
  return Number(raw);
}

type Fail = (variable: string, message: string) => undefined;

function parseAlertWebhook(
  rawUrl: string | undefined,
  secret: string | undefined,
  fail: Fail,
): Config['alertWebhook'] {
  if (rawUrl === undefined) {
    if (secret !== undefined) fail('ALERT_WEBHOOK_SECRET', 'is set but ALERT_WEBHOOK_URL is not');
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(rawUrl);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return fail('ALERT_WEBHOOK_URL', `'${rawUrl}' is not an http(s) URL`);
  }
  if (secret === undefined || secret.length < 32) {
    return fail(
      'ALERT_WEBHOOK_SECRET',
      'must be at least 32 characters when ALERT_WEBHOOK_URL is set (e.g. `openssl rand -hex 32`)',
    );
  }
  return { url: url.toString(), secret };
}

function parsePort(raw: string, variable: string, fail: Fail): number | undefined {
  if (!/^\d+$/.test(raw)) return fail(variable, `'${raw}' is not a port number (0-65535)`);
  const port = Number(raw);
  if (port > 65535) return fail(variable, `${port} is above 65535`);
  return port;
}

function parseKafka(raw: string | undefined, fail: Fail): KafkaConfig | undefined {
  if (raw === undefined) return undefined;
  const brokers = raw.split(',').map((b) => b.trim());
  for (const broker of brokers) {
    const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(broker);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      return fail('KAFKA_BROKERS', `'${broker}' is not host:port (example: KAFKA_BROKERS=127.0.0.1:9092)`);
    }
  }
  return { brokers, clientId: 'streamloop' };
}

function parseUrlVar(
  raw: string | undefined,
  variable: string,
  protocols: string[],
  example: string,
  fail: Fail,
): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(variable, `is not a URL (example: ${variable}=${example})`);
  }
  if (!protocols.includes(url.protocol)) {
    return fail(
      variable,
      `scheme '${url.protocol}' is not one of ${protocols.join(', ')} (example: ${example})`,
    );
  }
  if (url.hostname === '') return fail(variable, `has no host (example: ${example})`);
  if (url.port !== '' && Number(url.port) === 0) return fail(variable, 'port 0 is not connectable');
  return raw;
}

function parseDatabaseUrl(raw: string | undefined, fail: Fail): string | undefined {
  const url = parseUrlVar(
    raw,
    'DATABASE_URL',
    ['postgres:', 'postgresql:'],
    'postgres://postgres@127.0.0.1:5432/streamloop',
    fail,
  );
  if (url !== undefined && new URL(url).pathname.replace(/^\//, '') === '') {
    return fail('DATABASE_URL', 'names no database (example: postgres://postgres@127.0.0.1:5432/streamloop)');
  }
  return url;
}

function parseS3(read: (name: string) => string | undefined, fail: Fail): S3Config | undefined {
  const endpoint = parseUrlVar(
    read('S3_ENDPOINT'),
    'S3_ENDPOINT',
    ['http:', 'https:'],
    'http://127.0.0.1:9000',
    fail,
  );
  if (endpoint === undefined) return undefined;
  const accessKeyId =
    read('S3_ACCESS_KEY_ID') ?? fail('S3_ACCESS_KEY_ID', 'is required when S3_ENDPOINT is set');
  const secretAccessKey =
    read('S3_SECRET_ACCESS_KEY') ?? fail('S3_SECRET_ACCESS_KEY', 'is required when S3_ENDPOINT is set');
  const bucket = read('S3_BUCKET') ?? 'streamloop';
  // S3 bucket naming rules: 3-63 chars, lowercase letters, digits, dots and hyphens.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    fail('S3_BUCKET', `'${bucket}' is not a valid bucket name (3-63 lowercase letters, digits, '.', '-')`);
  }
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  return { endpoint, bucket, region: read('S3_REGION') ?? 'us-east-1', accessKeyId, secretAccessKey };
}

function parseClickHouse(
  read: (name: string) => string | undefined,
  fail: Fail,
): ClickHouseConfig | undefined {
  const url = parseUrlVar(
    read('CLICKHOUSE_URL'),
    'CLICKHOUSE_URL',
    ['http:', 'https:'],
    'http://127.0.0.1:8123',
    fail,
  );
  const database = read('CLICKHOUSE_DATABASE') ?? 'streamloop';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    fail('CLICKHOUSE_DATABASE', `'${database}' is not a plain identifier`);
  }
  if (url === undefined) return undefined;
  return {
    url,
    user: read('CLICKHOUSE_USER') ?? 'default',
    password: read('CLICKHOUSE_PASSWORD') ?? '',
    database,
  };
}

/** Where an embedded adapter keeps its files, under the data dir. */
export function embeddedPath(config: Pick<Config, 'dataDir'>, name: string): string {
  return path.join(config.dataDir, name);
}
