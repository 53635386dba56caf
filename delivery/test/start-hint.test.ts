/**
 * The start-rung hint at the playback API (issue 14) against the shared Redis (REDIS_URL): a viewer
 * feature set is published with publishFeatureSet under a key prefix unique to this run (removed
 * afterwards), and the API answers `startBitrateKbps` from it. Expected hints are worked out by hand
 * from the rows below: the 25th percentile of the viewer's throughput, rounded down, and nothing
 * under 6 throughput measurements (a minute of watching).
 *
 * The outage cases are real faults: Redis reached through a loopback relay that the test then
 * closes (the store is left pointing at a closed port), and a REDIS_URL naming a port nobody listens on.
 */
import net from 'node:net';
import { createExperiment, startExperiment } from '@streamloop/catalog/experiment-repository';
import { seedLadders } from '@streamloop/catalog/ladder-repository';
import { loadConfig } from '@streamloop/core/config';
import type { ThroughputDistribution, ViewerFeatures } from '@streamloop/core/features';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import {
  createCapturingLogger,
  eventually,
  freePort,
  makeLadderRecord,
  metricValue,
  requireService,
  uniqueName,
} from '@streamloop/core/testing';
import { createFeatureStore } from '@streamloop/feature-store/create';
import {
  FEATURE_SET_SEQ_KEY,
  featureSetKeys,
  publishFeatureSet,
} from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { createRedisFeatureStore } from '@streamloop/feature-store/redis-feature-store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryMetrics } from '../src/delivery-metrics.js';
import { createStartHintReader } from '../src/start-hint.js';
import { API_KEY, addVideo, buildDeliveryApp, type Fixture, openFixture } from './fixtures.js';

const redisUrl = requireService('Redis', 'REDIS_URL', loadConfig(process.env).redisUrl);
const KEY_PREFIX = `${uniqueName('streamloop-test-delivery-start-hint')}:`;
const HINTS = 'streamloop_delivery_start_hints_total';
/**
 * The read's time limit where a test expects a hint: production's 50 ms is ample on a quiet host, but
 * a CI machine running browsers and ffmpeg beside this test can pause a process longer than that.
 */
const LOADED_MACHINE_TIMEOUT_MS = 2_000;

const throughput = (samples: number, p25: number): ThroughputDistribution => ({
  samples,
  p10: p25 / 2,
  p25,
  p50: p25 * 2,
  p75: p25 * 3,
  p90: p25 * 4,
});

function makeViewerRow(viewerId: string, overrides: Partial<ViewerFeatures> = {}): ViewerFeatures {
  return {
    viewerId,
    recentVideoIds: [],
    throughputKbps: throughput(12, 2_400.7),
    deviceClass: 'desktop',
    displayHeight: 1080,
    views7d: 12,
    rebuffers7d: 0,
    startFailures7d: 0,
    ...overrides,
  };
}

/** Viewers the experiment splits; each with 10 measurements, p25 1 800.9 kbit/s → hint 1800. */
const ARM_VIEWERS = Array.from({ length: 40 }, (_, i) => `arm-viewer-${i}`);

const VIEWER_ROWS: ViewerFeatures[] = [
  // p25 2 400.7 over 12 measurements → 2400.
  makeViewerRow('viewer-known'),
  // Five measurements: below the six a hint needs.
  makeViewerRow('viewer-five-samples', { throughputKbps: throughput(5, 5_000) }),
  ...ARM_VIEWERS.map((id) => makeViewerRow(id, { throughputKbps: throughput(10, 1_800.9) })),
];

/** Every key one publish of the viewer set wrote under the store's prefix (feature-sets.ts' layout). */
async function removeViewerSet(store: FeatureStore): Promise<void> {
  const keys = featureSetKeys('viewer');
  await store.del(FEATURE_SET_SEQ_KEY, keys.live, keys.meta, keys.version(1));
}

interface RedisRelay {
  url: string;
  close(): Promise<void>;
  /** Listens again on the same port: Redis is back. */
  reopen(): Promise<void>;
}

/** A loopback relay to Redis that the test can close, leaving a store pointed at a closed port. */
async function startRedisRelay(target: URL): Promise<RedisRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target.href);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.href,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
    reopen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
}

describe('the start-rung hint at GET /api/v1/videos/:id/playback', () => {
  let fixture: Fixture;
  let store: FeatureStore;
  let app: FastifyInstance;
  let registry: Registry;
  let videoId: string;
  let experimentVideoId: string;
  let experimentId: string;
  const opened: FastifyInstance[] = [];

  const playback = async (target: FastifyInstance, id: string, query = '', headers = {}) => {
    const res = await target.inject({ method: 'GET', url: `/api/v1/videos/${id}/playback${query}`, headers });
    return { status: res.statusCode, body: res.json<PlaybackResponse>() };
  };

  beforeAll(async () => {
    fixture = await openFixture();
    const logger = createCapturingLogger('warn').logger;
    store = await createRedisFeatureStore({ url: redisUrl, keyPrefix: KEY_PREFIX, logger });
    await publishFeatureSet(store, 'viewer', VIEWER_ROWS, { newestSourceAt: null });

    videoId = (await addVideo(fixture, { ladder: makeLadderRecord() })).id;
    // Two arms on the one ladder the video carries, the hint off in one: how its effect is measured.
    experimentVideoId = (await addVideo(fixture, { ladder: makeLadderRecord() })).id;
    await seedLadders(fixture.catalog, [DEFAULT_LADDER]);
    const experiment = await createExperiment(
      fixture.catalog,
      {
        name: 'start-rung hint',
        scope: { videoIds: [experimentVideoId] },
        arms: [
          { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
          { name: 'no-hint', ladderId: 'default', startHint: false, trafficPercent: 50 },
        ],
        primaryMetric: 'startup_time_ms',
        guardrails: [],
        minimumViewersPerArm: 100,
      },
      'test',
    );
    await startExperiment(fixture.catalog, experiment.id, 'test');
    experimentId = experiment.id;

    ({ app, registry } = await buildDeliveryApp(fixture, {
      featureStore: store,
      experimentRefreshMs: 0,
      startHintTimeoutMs: LOADED_MACHINE_TIMEOUT_MS,
    }));
    opened.push(app);
  });

  afterAll(async () => {
    for (const each of opened) await each.close();
    if (store !== undefined) await removeViewerSet(store);
    await store?.close();
    await fixture?.close();
  });

  it('answers a known viewer the 25th percentile of their throughput, rounded down, and counts it', async () => {
    const answered = await metricValue(registry, HINTS, { outcome: 'answered' });
    const { status, body } = await playback(app, videoId, '?viewerId=viewer-known');
    expect(status).toBe(200);
    expect(body.startBitrateKbps).toBe(2400);
    expect(await metricValue(registry, HINTS, { outcome: 'answered' })).toBe(answered + 1);
  });

  it.each([
    { who: 'an unknown viewer', query: '?viewerId=viewer-never-seen' },
    { who: 'a viewer with five measurements', query: '?viewerId=viewer-five-samples' },
    { who: 'a request naming no viewer', query: '' },
  ])('answers $who as before, without a hint', async ({ query }) => {
    const { status, body } = await playback(app, videoId, query);
    expect(status).toBe(200);
    expect(body.manifestUrl).toMatch(new RegExp(`^/media/${videoId}/default/master\\.m3u8\\?token=`));
    expect(body).not.toHaveProperty('startBitrateKbps');
  });

  it("gives no hint with an owner's ?ladder= preview, which shows the ladder as players start it by default", async () => {
    const { status, body } = await playback(app, videoId, '?viewerId=viewer-known&ladder=default', {
      authorization: `Bearer ${API_KEY}`,
    });
    expect(status).toBe(200);
    expect(body).not.toHaveProperty('startBitrateKbps');
  });

  it('gives the hint in the arm that keeps it and none in the arm with startHint: false, on one ladder', async () => {
    const byArm = new Map<string, PlaybackResponse>();
    for (const viewer of ARM_VIEWERS) {
      const { body } = await playback(app, experimentVideoId, `?viewerId=${viewer}`);
      if (!byArm.has(body.variant ?? 'none')) byArm.set(body.variant ?? 'none', body);
      if (byArm.size === 2) break;
    }
    const control = byArm.get(`${experimentId}.control`);
    const noHint = byArm.get(`${experimentId}.no-hint`);
    expect(control).toMatchObject({ ladderId: 'default', startBitrateKbps: 1800 });
    expect(noHint).toMatchObject({ ladderId: 'default' });
    expect(noHint).not.toHaveProperty('startBitrateKbps');
  });

  it('gives no hint to anyone when the service turns it off (PLAYBACK_START_HINT=off)', async () => {
    const { app: off } = await buildDeliveryApp(fixture, {
      featureStore: store,
      startHint: false,
      startHintTimeoutMs: LOADED_MACHINE_TIMEOUT_MS,
    });
    opened.push(off);
    const { status, body } = await playback(off, videoId, '?viewerId=viewer-known');
    expect(status).toBe(200);
    expect(body).not.toHaveProperty('startBitrateKbps');
  });

  it('answers 200 without the hint once Redis is gone, logs the outage once and counts every answer it cost', async () => {
    const relay = await startRedisRelay(new URL(redisUrl));
    const storeLogger = createCapturingLogger('warn').logger;
    const relayed = await createRedisFeatureStore({
      url: relay.url,
      keyPrefix: KEY_PREFIX,
      logger: storeLogger,
    });
    const { logger, lines } = createCapturingLogger('info');
    const { app: cut, registry: cutRegistry } = await buildDeliveryApp(fixture, {
      featureStore: relayed,
      logger,
      startHintTimeoutMs: LOADED_MACHINE_TIMEOUT_MS,
    });
    opened.push(cut);
    try {
      expect((await playback(cut, videoId, '?viewerId=viewer-known')).body.startBitrateKbps).toBe(2400);

      await relay.close(); // The store now points at a closed port.
      for (let i = 0; i < 3; i++) {
        const { status, body } = await playback(cut, videoId, '?viewerId=viewer-known');
        expect(status).toBe(200);
        expect(body.manifestUrl).toMatch(/\?token=/);
        expect(body).not.toHaveProperty('startBitrateKbps');
      }
      expect(await metricValue(cutRegistry, HINTS, { outcome: 'unavailable' })).toBe(3);
      const outage = lines.filter((line) => line.includes('start-rung hints off'));
      expect(outage).toHaveLength(1);
      expect(JSON.parse(outage[0]!)).toMatchObject({ component: 'start-hints', retryAfterMs: 5000 });
    } finally {
      await relayed.close();
    }
  });

  it('starts and answers without the hint when REDIS_URL names a port nobody listens on', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const { logger, lines } = createCapturingLogger('info');
    const opening = createFeatureStore(
      { redisUrl: closed },
      { logger: createCapturingLogger('warn').logger },
    );
    const { app: down } = await buildDeliveryApp(fixture, { featureStore: opening, logger });
    opened.push(down);
    const { status, body } = await playback(down, videoId, '?viewerId=viewer-known');
    expect(status).toBe(200);
    expect(body).not.toHaveProperty('startBitrateKbps');
    await opening.catch(() => undefined);
    // Said once, with the reason, so an operator knows why no hint is served.
    await expect.poll(() => lines.filter((l) => l.includes('could not be opened')).length).toBe(1);
    expect(lines.find((l) => l.includes('could not be opened'))).toContain('ECONNREFUSED');
    expect((await playback(down, videoId, '?viewerId=viewer-known')).body).not.toHaveProperty(
      'startBitrateKbps',
    );
  });
});

describe('the start-rung hint reader through a Redis outage', () => {
  it('leaves the store alone for the retry window, then reads again once Redis is back, logging the end once', async () => {
    const keyPrefix = `${uniqueName('streamloop-test-delivery-start-hint-outage')}:`;
    const direct = await createRedisFeatureStore({
      url: redisUrl,
      keyPrefix,
      logger: createCapturingLogger('warn').logger,
    });
    await publishFeatureSet(direct, 'viewer', [makeViewerRow('viewer-known')], { newestSourceAt: null });
    const relay = await startRedisRelay(new URL(redisUrl));
    const relayed = await createRedisFeatureStore({
      url: relay.url,
      keyPrefix,
      logger: createCapturingLogger('warn').logger,
    });
    const registry = createMetricsRegistry({ collectProcessMetrics: false });
    const { logger, lines } = createCapturingLogger('info');
    let nowMs = 1_000_000;
    const reader = createStartHintReader({
      featureStore: relayed,
      logger,
      timeoutMs: LOADED_MACHINE_TIMEOUT_MS,
      metrics: createDeliveryMetrics(registry),
      retryAfterMs: 5_000,
      now: () => nowMs,
    });
    try {
      expect(await reader.read('viewer-known')).toBe(2400);
      await relay.close();
      expect(await reader.read('viewer-known')).toBeUndefined();
      // Inside the retry window the answer goes out without asking the store, counted unavailable.
      nowMs += 4_999;
      expect(await reader.read('viewer-known')).toBeUndefined();

      await relay.reopen();
      const back = await eventually('a hint once Redis is back', async () => {
        nowMs += 5_000; // Past every window: each try is a new probe.
        return reader.read('viewer-known');
      });
      expect(back).toBe(2400);
      expect(lines.filter((l) => l.includes('start-rung hints off'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('start-rung hints back'))).toHaveLength(1);
      expect(await metricValue(registry, HINTS, { outcome: 'unavailable' })).toBeGreaterThanOrEqual(2);
    } finally {
      await relayed.close();
      await relay.close();
      await removeViewerSet(direct);
      await direct.close();
    }
  });
});
