/**
 * The feature jobs end to end on real chdb and the embedded (in-memory) feature store: both sets
 * computed and published, the status route and the /metrics gauges reading what is live, a run with
 * no source data leaving the live version alone, a store that does not answer, and the job scheduled
 * by the analytics cron jobs through the catalog's job lock (PGlite).
 *
 * NOW = 2025-07-01 09:00 UTC. Views: x1 (viewer w1, title-x, 10 min ago), x2 (w2, title-x, 2 h ago),
 * y1 (w1, title-y, 1 day ago). So the title set has 3 rows ('*', title-x, title-y), the viewer set 2
 * (w1, w2), and the newest source event is x1's, 10 minutes before NOW.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJobLock } from '@streamloop/catalog/job-lock';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { type FeatureStatusResponse, FLEET_ENTITY } from '@streamloop/core/features';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { eventually } from '@streamloop/core/testing';
import { featureSetStatus, openLiveFeatureSet } from '@streamloop/feature-store/feature-sets';
import { createMemoryFeatureStore } from '@streamloop/feature-store/memory-feature-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureJobs } from '../src/features/feature-jobs.js';
import { registerFeatureRoutes } from '../src/features/feature-routes.js';
import { createQoeJobs } from '../src/jobs/qoe-jobs.js';
import { openChdbSession } from './chdb-session.js';
import { insertFeatureViews } from './feature-views.js';

const API_KEY = 'feature-status-key-0123456789';
const AUTH = { authorization: `Bearer ${API_KEY}` };
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const NOW = Date.UTC(2025, 6, 1, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const NEWEST = iso(NOW - 10 * MINUTE_MS);

const chdb = await openChdbSession();
const logger = createLogger({ name: 'feature-jobs-test', level: 'silent' });
const registry = createMetricsRegistry({ collectProcessMetrics: false });
const featureStore = createMemoryFeatureStore();
let clock = NOW;
const now = () => clock;
const jobs = createFeatureJobs({ analyticsStore: chdb.store, featureStore, logger, registry, now });
const app = buildHttpApp({ logger, registry, ports: [] });
registerFeatureRoutes(app, { featureStore, apiKey: API_KEY, now });

beforeAll(() =>
  insertFeatureViews(
    chdb.store,
    [
      {
        viewId: 'x1',
        viewerId: 'w1',
        videoId: 'title-x',
        ageMs: 10 * MINUTE_MS,
        heartbeats: [{ ms: 10_000 }],
      },
      {
        viewId: 'x2',
        viewerId: 'w2',
        videoId: 'title-x',
        ageMs: 120 * MINUTE_MS,
        heartbeats: [{ ms: 10_000 }],
      },
      { viewId: 'y1', viewerId: 'w1', videoId: 'title-y', ageMs: DAY_MS, heartbeats: [{ ms: 10_000 }] },
    ],
    NOW,
  ),
);
afterAll(async () => {
  await app.close();
  await featureStore.close();
  await chdb.close();
});

async function status(): Promise<FeatureStatusResponse> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/features/status', headers: AUTH });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as FeatureStatusResponse;
}

/** The samples of one metric on /metrics, by their label text. */
async function samples(name: string): Promise<Record<string, number>> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const found: Record<string, number> = {};
  for (const match of res.body.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm')))
    found[match[1]!] = Number(match[2]);
  return found;
}

describe('feature jobs', () => {
  it('publishes both sets as computed from ClickHouse', async () => {
    const published = await jobs.runAll();
    expect(published.title).toMatchObject({ set: 'title', version: 1, rows: 3, newestSourceAt: NEWEST });
    expect(published.viewer).toMatchObject({ set: 'viewer', version: 1, rows: 2, newestSourceAt: NEWEST });

    const titles = await openLiveFeatureSet(featureStore, 'title');
    // title-x {w1 w2} and title-y {w1}: cosine 1 / √(2 · 1).
    expect(await titles?.get('title-x')).toMatchObject({
      popularity: { h1: 1, h24: 2, d7: 2 },
      coWatch: [{ videoId: 'title-y', score: expect.closeTo(1 / Math.SQRT2, 12) }],
      qoe: { views: 2 },
    });
    expect(await titles?.get(FLEET_ENTITY)).toMatchObject({ popularity: { d7: 3 }, coWatch: [] });
    const viewers = await openLiveFeatureSet(featureStore, 'viewer');
    expect(await viewers?.get('w1')).toMatchObject({ recentVideoIds: ['title-x', 'title-y'], views7d: 2 });
  });

  it('answers /api/v1/features/status with every set, to API keys only', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/features/status' });
    expect(anonymous.statusCode).toBe(401);
    clock = NOW + 5 * MINUTE_MS;
    const live = (set: string, rows: number) => ({
      set,
      version: 1,
      rows,
      bytes: expect.any(Number),
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
      publishedAt: iso(NOW),
      newestSourceAt: NEWEST,
    });
    // Freshness: 5 min after publishing, 15 min after the newest source event.
    expect(await status()).toEqual({
      sets: [
        { set: 'title', live: live('title', 3), previous: null, freshnessSeconds: 900 },
        { set: 'viewer', live: live('viewer', 2), previous: null, freshnessSeconds: 900 },
      ],
    });
  });

  it('keeps the version it replaced as previous, and exports live version, rows and freshness', async () => {
    clock = NOW + 15 * MINUTE_MS;
    await jobs.runAll();
    const { sets } = await status();
    expect(sets.map((s) => [s.set, s.live?.version, s.previous?.version, s.freshnessSeconds])).toEqual([
      ['title', 2, 1, 1500],
      ['viewer', 2, 1, 1500],
    ]);
    const gauges: [string, number, number][] = [
      // metric, title, viewer
      ['live_version', 2, 2],
      ['rows', 3, 2],
      ['freshness_seconds', 1500, 1500],
    ];
    for (const [metric, title, viewer] of gauges) {
      expect(await samples(`streamloop_analytics_feature_set_${metric}`), metric).toEqual({
        'set="title"': title,
        'set="viewer"': viewer,
      });
    }
    expect(await samples('streamloop_analytics_feature_job_runs_total')).toEqual({
      'set="title",outcome="published"': 2,
      'set="viewer",outcome="published"': 2,
    });
  });

  it('rolls a set back to its previous version and forward again, to managing keys only', async () => {
    const rollback = (set: string, headers: Record<string, string> = AUTH) =>
      app.inject({ method: 'POST', url: `/api/v1/features/${set}/rollback`, headers });
    expect((await rollback('title', {})).statusCode).toBe(401);
    const back = await rollback('title');
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ set: 'title', live: { version: 1 }, previous: { version: 2 } });
    const titles = await openLiveFeatureSet(featureStore, 'title');
    expect(titles?.version.version).toBe(1);
    // The viewer set is its own: untouched.
    expect((await status()).sets[1]).toMatchObject({ live: { version: 2 }, previous: { version: 1 } });
    const forward = await rollback('title');
    expect(forward.json()).toMatchObject({ live: { version: 2 }, previous: { version: 1 } });

    const unknown = await rollback('nope');
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'ERR_VALIDATION']);
    // Nothing published yet: nothing to roll back to, said as a conflict with what to do instead.
    const empty = createMemoryFeatureStore();
    const emptyApp = buildHttpApp({
      logger,
      registry: createMetricsRegistry({ collectProcessMetrics: false }),
      ports: [],
    });
    registerFeatureRoutes(emptyApp, { featureStore: empty, apiKey: API_KEY, now });
    try {
      const none = await emptyApp.inject({
        method: 'POST',
        url: '/api/v1/features/viewer/rollback',
        headers: AUTH,
      });
      expect(none.statusCode).toBe(409);
      expect(none.json().error).toMatchObject({
        code: 'ERR_CONFLICT',
        message: expect.stringMatching(/no previous version.*publish a new version instead/),
      });
    } finally {
      await emptyApp.close();
      await empty.close();
    }
  });

  it('leaves the live version alone when its window holds no views', async () => {
    clock = NOW + 30 * DAY_MS;
    expect(await jobs.runAll()).toEqual({ title: null, viewer: null });
    const { sets } = await status();
    expect(sets.map((s) => s.live?.version)).toEqual([2, 2]);
    expect(await samples('streamloop_analytics_feature_job_runs_total')).toMatchObject({
      'set="title",outcome="skipped"': 1,
      'set="viewer",outcome="skipped"': 1,
    });
  });

  it('runs on the analytics cron schedule through the job lock', async () => {
    clock = NOW + 15 * MINUTE_MS;
    const dir = await mkdtemp(join(tmpdir(), 'streamloop-feature-jobs-'));
    const catalog = await createPgliteCatalog({ dataDir: join(dir, 'catalog') });
    await catalog.migrate();
    const lock = createJobLock({ catalog, logger });
    const never = '0 0 1 1 *';
    const cron = createQoeJobs({
      analyticsStore: chdb.store,
      logger,
      registry,
      lock,
      rollupSchedule: never,
      retentionSchedule: never,
      // Every second: the test waits for one tick, not for a quarter of an hour.
      featureSchedule: '* * * * * *',
      featureJobs: () => jobs.runAll(),
    });
    try {
      cron.start();
      const published = await eventually(
        'a scheduled feature run to publish version 3',
        async () => {
          const live = (await featureSetStatus(featureStore, 'viewer')).live;
          return live !== null && live.version >= 3 ? live : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(published).toMatchObject({ rows: 2, newestSourceAt: NEWEST });
      expect(await samples('streamloop_analytics_qoe_job_runs_total')).toMatchObject({
        'job="features",outcome="ok"': expect.any(Number),
      });
    } finally {
      await cron.stop();
      await lock.close();
      await catalog.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 when the feature store does not answer, and /metrics still answers', async () => {
    const down = createMemoryFeatureStore();
    await down.close();
    const downRegistry = createMetricsRegistry({ collectProcessMetrics: false });
    const downApp = buildHttpApp({ logger, registry: downRegistry, ports: [] });
    registerFeatureRoutes(downApp, { featureStore: down, apiKey: API_KEY, now });
    createFeatureJobs({
      analyticsStore: chdb.store,
      featureStore: down,
      logger,
      registry: downRegistry,
      now,
    });
    try {
      const res = await downApp.inject({ method: 'GET', url: '/api/v1/features/status', headers: AUTH });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: { code: 'ERR_DEPENDENCY_UNAVAILABLE' } });
      const metrics = await downApp.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toContain('# TYPE streamloop_analytics_feature_set_live_version gauge');
      expect(metrics.body).not.toMatch(/^streamloop_analytics_feature_set_live_version\{/m);
    } finally {
      await downApp.close();
    }
  });
});
