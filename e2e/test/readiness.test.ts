/**
 * Readiness per dependency, on real processes: with Redis (the feature store) killed, delivery stays
 * ready and keeps serving segments, the collector keeps accepting beacons, and analytics reports the
 * feature store `degraded` while staying in the load balancer (200). The Redis is this test's own
 * (a private redis-server on a free port, SIGKILLed), so no other test sees the fault.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { insertVideo, newVideoId } from '@streamloop/catalog/video-repository';
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { ladderFolder, MASTER_PLAYLIST, mediaKey } from '@streamloop/core/object-layout';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import { eventually, requireService, uniqueName } from '@streamloop/core/testing';
import { createS3ObjectStore } from '@streamloop/object-store/s3-object-store';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canConnect, freePort } from './ports.js';
import { entryOf, processEnv, realServiceEnv } from './processes.js';

interface Readiness {
  status: number;
  body: {
    status: string;
    degraded?: string[];
    failing?: string[];
    dependencies: { port: string; required: boolean; ok: boolean }[];
  };
}

async function readyz(baseUrl: string): Promise<Readiness> {
  const res = await fetch(`${baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

const FOLDER = ladderFolder('default');
const SEGMENT = `${FOLDER}360p/seg_000.m4s`;
const LADDER_RECORD: LadderRecord = {
  ladderId: 'default',
  ladderVersion: 1,
  master: `${FOLDER}${MASTER_PLAYLIST}`,
  poster: `${FOLDER}poster.jpg`,
  storyboard: `${FOLDER}storyboard.vtt`,
  frameRate: 30,
  renditions: [
    {
      name: '360p',
      codec: 'h264',
      profile: 'main',
      videoBitrateKbps: 700,
      maxrateKbps: 800,
      bufsizeKbps: 1000,
      width: 640,
      height: 360,
      shortSide: 360,
      codecs: 'avc1.4d401e',
      peakBitrate: 800_000,
      averageBitrate: 700_000,
      playlist: `${FOLDER}360p/index.m3u8`,
      iframePlaylist: `${FOLDER}360p/iframes.m3u8`,
    },
  ],
};

const silent = createLogger({ name: 'readiness-test', level: 'silent' });

describe('Redis goes away: only what needs the feature store notices', () => {
  let redis: ChildProcess | undefined;
  let redisPort: number;
  const running: RunningProcess[] = [];
  let delivery: RunningProcess;
  let collector: RunningProcess;
  let analytics: RunningProcess;
  const videoId = newVideoId();
  const segment = Buffer.from(`segment bytes of ${videoId}`);

  beforeAll(async () => {
    const config = loadConfig(process.env);
    requireService('Kafka', 'KAFKA_BROKERS', config.kafka);
    const s3 = requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
    const databaseUrl = requireService('PostgreSQL', 'DATABASE_URL', config.databaseUrl);
    redisPort = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await eventually('the test Redis to listen', () =>
      canConnect(redisPort).then((ok) => (ok ? true : undefined)),
    );
    const env = { ...realServiceEnv(), REDIS_URL: `redis://127.0.0.1:${redisPort}` };
    const started = await Promise.all(
      ['delivery', 'beacon-collector', 'analytics'].map((name) =>
        startProcess(entryOf(name), processEnv(env)),
      ),
    );
    running.push(...started);
    [delivery, collector, analytics] = started as [RunningProcess, RunningProcess, RunningProcess];

    // A ready, public video with one rendition segment, laid out and recorded as transcode does.
    const catalog = createPgCatalog({ url: databaseUrl, logger: silent });
    await insertVideo(catalog, {
      id: videoId,
      title: 'Readiness',
      status: 'ready',
      playbackPolicy: 'public',
      ladder: LADDER_RECORD,
    });
    await catalog.close();
    const objects = await createS3ObjectStore({ ...s3, logger: silent });
    await objects.put(
      mediaKey(videoId, LADDER_RECORD.master),
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n',
    );
    await objects.put(mediaKey(videoId, SEGMENT), segment);
    await objects.close();
  }, 180_000);

  afterAll(async () => {
    redis?.kill('SIGKILL');
    await Promise.all(running.map((p) => p.stop()));
  }, 60_000);

  it('delivery serves segments, the collector accepts, analytics is degraded (200)', async () => {
    expect((await readyz(analytics.baseUrl)).body.status).toBe('ready');
    redis!.kill('SIGKILL');
    await eventually('Redis to be gone', async () => ((await canConnect(redisPort)) ? undefined : true));

    const degraded = await eventually('analytics to report the feature store down', async () => {
      const r = await readyz(analytics.baseUrl);
      return r.body.dependencies.some((d) => d.port === 'feature-store' && !d.ok) ? r : undefined;
    });
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.degraded).toEqual([
      expect.stringContaining(`feature-store (Redis at 127.0.0.1:${redisPort})`),
    ]);
    expect(degraded.body.dependencies.find((d) => d.port === 'feature-store')).toMatchObject({
      required: false,
      ok: false,
    });

    // Delivery never opened the feature store: it stays ready and keeps serving media.
    const ready = await readyz(delivery.baseUrl);
    expect([ready.status, ready.body.status]).toEqual([200, 'ready']);
    expect(ready.body.dependencies.map((d) => d.port)).not.toContain('feature-store');
    const playback = await fetch(`${delivery.baseUrl}/api/v1/videos/${videoId}/playback`);
    expect(playback.status).toBe(200);
    const { manifestUrl } = (await playback.json()) as { manifestUrl: string };
    const segmentUrl = manifestUrl.replace(LADDER_RECORD.master, SEGMENT);
    const served = await fetch(`${delivery.baseUrl}${segmentUrl}`);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(segment);

    // The collector keeps accepting beacons.
    const beacon: Beacon = {
      schema: 'qoe.beacon.v1',
      beaconId: uniqueName('readiness-beacon'),
      event: 'heartbeat',
      sessionId: uniqueName('readiness-session'),
      viewId: uniqueName('readiness-view'),
      viewerId: 'viewer-1',
      videoId,
      seq: 0,
      clientTimeMs: Date.now(),
      monotonicMs: 0,
      playheadMs: 0,
      watchTimeMs: 0,
    };
    const accepted = await fetch(`${collector.baseUrl}/v1/beacons`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify([beacon]),
    });
    expect(accepted.status).toBe(202);
    expect((await readyz(collector.baseUrl)).status).toBe(200);
  });
});
