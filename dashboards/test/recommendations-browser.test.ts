/**
 * `/dashboards/recommendations` in headless Chromium against the real routes: the feature sets in
 * Redis (the shared server, under a key prefix of this file's own) through analytics' status and
 * rollback routes, and the recommendation health from beacons that go through the embedded event log
 * and the analytics consumer into chdb, with the catalog in a scratch PostgreSQL database.
 *
 * Feature sets: title published twice (T_OLD, then T_LIVE; its newest source view 12½ min ago);
 * viewer twice (V_OLD, V_LIVE; 3 h ago, so its freshness is a warning).
 * Beacons, 1 min ago, real viewers: co-watch 4 impressions, 1 click → 25.00 %; popular 2
 * impressions, 1 click → 50.00 %; a simulated viewer's co-watch impression and click, left out.
 */
import { randomUUID } from 'node:crypto';
import { registerFeatureRoutes } from '@streamloop/analytics/features/feature-routes';
import { registerRecommendationHealthRoute } from '@streamloop/analytics/recommendations/recommendation-health-route';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { loadConfig } from '@streamloop/core/config';
import type { FeatureStatusResponse, TitleFeatures, ViewerFeatures } from '@streamloop/core/features';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { Beacon, RecommendationReason } from '@streamloop/core/schemas/beacon';
import { eventually, makeLadderRecord, requireService, uniqueName } from '@streamloop/core/testing';
import {
  FEATURE_SET_SEQ_KEY,
  featureSetKeys,
  publishFeatureSet,
} from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { createRedisFeatureStore } from '@streamloop/feature-store/redis-feature-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDashboards } from '../src/mount-dashboards.js';
import {
  type BeaconPipeline,
  CHROMIUM,
  keepScreenshot,
  MINUTE_MS,
  openBeaconPipeline,
  poll,
} from './beacon-pipeline.js';

const API_KEY = 'dashboards-recommendations-key-0123456789';
const AUTH = { authorization: `Bearer ${API_KEY}` };

const logger = createLogger({ name: 'dashboards-recommendations-test', level: 'silent' });
const titles = ['watched', 'next-1', 'next-2', 'next-3'].map((name) => uniqueName(name));
const [WATCHED, NEXT_1, NEXT_2, NEXT_3] = titles as [string, string, string, string];

const titleRow = (videoId: string): TitleFeatures => ({
  videoId,
  popularity: { h1: 1, h24: 1, d7: 1, decayed: 1 },
  completionRate: 0.5,
  coWatch: [],
  qoe: { views: 1, rebufferRatio: 0, startFailureRate: 0 },
  rungShare: [],
  throughputKbps: { samples: 0, p10: 0, p25: 0, p50: 0, p75: 0, p90: 0 },
});
const viewerRow = (viewerId: string): ViewerFeatures => ({
  viewerId,
  recentVideoIds: [WATCHED],
  throughputKbps: { samples: 0, p10: 0, p25: 0, p50: 0, p75: 0, p90: 0 },
  deviceClass: 'desktop',
  displayHeight: 1080,
  views7d: 1,
  rebuffers7d: 0,
  startFailures7d: 0,
});

/** One "Up next" beacon during `viewerId`'s view of WATCHED. */
function upNext(
  event: 'recommendationimpression' | 'recommendationclick',
  viewerId: string,
  title: string,
  reason: RecommendationReason,
  position: number,
  marks: Partial<Beacon> = {},
): Beacon {
  return {
    schema: 'qoe.beacon.v1',
    beaconId: randomUUID(),
    event,
    sessionId: `session-${viewerId}`,
    viewId: `view-${viewerId}`,
    viewerId,
    videoId: WATCHED,
    seq: position,
    clientTimeMs: Date.now(),
    monotonicMs: 1_000 + position,
    recommendedVideoId: title,
    recommendationReason: reason,
    recommendationPosition: position,
    ...marks,
  };
}

describe('features & recommendations page in Chromium', () => {
  let pipeline: BeaconPipeline | undefined;
  let store: AnalyticsStore;
  let featureStore: FeatureStore;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let catalog: ReturnType<typeof createPgCatalog>;
  const app = buildHttpApp({
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const versions = { titleOld: 0, titleLive: 0, viewerOld: 0, viewerLive: 0 };
  const pageProblems: string[] = [];

  beforeAll(async () => {
    featureStore = await createRedisFeatureStore({
      url: requireService('Redis', 'REDIS_URL', loadConfig(process.env).redisUrl),
      keyPrefix: `${uniqueName('dashboards-recommendations')}:`,
      logger,
    });
    const publish = async (set: 'title' | 'viewer', ids: string[], newestAgoMs: number) => {
      const newestSourceAt = new Date(Date.now() - newestAgoMs).toISOString();
      return set === 'title'
        ? (await publishFeatureSet(featureStore, 'title', ids.map(titleRow), { newestSourceAt })).version
        : (await publishFeatureSet(featureStore, 'viewer', ids.map(viewerRow), { newestSourceAt })).version;
    };
    versions.titleOld = await publish('title', [WATCHED], 40 * MINUTE_MS);
    versions.titleLive = await publish('title', titles, 12.5 * MINUTE_MS);
    versions.viewerOld = await publish('viewer', ['viewer-a'], 4 * 60 * MINUTE_MS);
    versions.viewerLive = await publish('viewer', ['viewer-a', 'viewer-b'], 3 * 60 * MINUTE_MS);

    scratch = await createScratchDatabase(postgresUrl(), 'dashboards_recommendations');
    catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
    await catalog.migrate();
    for (const id of titles) {
      await insertVideo(catalog, {
        id,
        title: id,
        status: 'ready',
        playbackPolicy: 'public',
        ladder: makeLadderRecord(),
      });
    }

    pipeline = await openBeaconPipeline(logger, 'dashboards-recommendations');
    store = pipeline.store;
    const simulated = { synthetic: true, cohort: 'commuters', networkClass: '3g' } as const;
    const beacons = [
      upNext('recommendationimpression', 'viewer-a', NEXT_1, 'co-watch', 0),
      upNext('recommendationimpression', 'viewer-a', NEXT_2, 'co-watch', 1),
      upNext('recommendationimpression', 'viewer-a', NEXT_3, 'popular', 2),
      upNext('recommendationimpression', 'viewer-b', NEXT_1, 'co-watch', 0),
      upNext('recommendationimpression', 'viewer-b', NEXT_2, 'co-watch', 1),
      upNext('recommendationimpression', 'viewer-b', NEXT_3, 'popular', 2),
      upNext('recommendationclick', 'viewer-a', NEXT_1, 'co-watch', 0),
      upNext('recommendationclick', 'viewer-b', NEXT_3, 'popular', 2),
      upNext('recommendationimpression', 'sim-1', NEXT_1, 'co-watch', 0, simulated),
      upNext('recommendationclick', 'sim-1', NEXT_1, 'co-watch', 0, simulated),
    ];
    const receivedAtMs = Date.now() - MINUTE_MS;
    await pipeline.publish(beacons, receivedAtMs);

    mountDashboards(app, {});
    registerFeatureRoutes(app, { featureStore, apiKey: API_KEY });
    registerRecommendationHealthRoute(app, { analyticsStore: store, catalog, apiKey: API_KEY });
    await eventually('every beacon in ClickHouse', async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/api/v1/recommendations/health?synthetic=all',
        headers: AUTH,
      });
      return res.statusCode === 200 &&
        res.json<{ coverage: { impressions: number } }>().coverage.impressions === 7
        ? true
        : undefined;
    });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });

    browser = await chromium.launch(CHROMIUM);
    page = await browser.newPage();
    page.on('console', (message) => {
      // The 409 of the expired version is the answer the last test asks for, not a problem.
      if (message.type() === 'error' && !/status of 409/.test(message.text()))
        pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app.close();
    await pipeline?.close();
    await catalog?.close();
    await scratch?.drop();
    if (featureStore) {
      const keys = [FEATURE_SET_SEQ_KEY];
      for (const set of ['title', 'viewer'] as const) {
        const { live, meta, version } = featureSetKeys(set);
        keys.push(live, meta, ...Object.values(versions).map(version));
      }
      await featureStore.del(...keys);
      await featureStore.close();
    }
  });

  const status = () => page.locator('#status');
  const setCell = (set: string, column: string) =>
    page.locator(`#feature-sets-rows tr[data-set="${set}"] td[data-column="${column}"]`);
  const rollbackResult = () => page.locator('#rollback-result');
  const liveVersions = async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/features/status', headers: AUTH });
    const body = res.json<FeatureStatusResponse>();
    return Object.fromEntries(body.sets.map((s) => [s.set, [s.live?.version, s.previous?.version]]));
  };

  it('shows each set with its live version, size and freshness, the stale one as a warning, and the CTR per reason', async () => {
    await page.goto(`${baseUrl}/dashboards/recommendations`);
    await poll(() => status().getAttribute('data-state')).toBe('need-key');
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');

    expect(await setCell('title', 'live').textContent()).toBe(`v${versions.titleLive}`);
    expect(await setCell('title', 'rows').textContent()).toBe('4');
    expect(await setCell('title', 'size').textContent()).toMatch(/^\d+\.\d kB$/);
    expect(await setCell('title', 'previous').textContent()).toBe(`v${versions.titleOld}`);
    expect(await setCell('title', 'freshness').textContent()).toBe('12 min ago');
    expect(await setCell('title', 'freshness').getAttribute('data-stale')).toBe('false');
    expect(await setCell('viewer', 'live').textContent()).toBe(`v${versions.viewerLive}`);
    expect(await setCell('viewer', 'freshness').textContent()).toBe('3 h 00 min ago');
    expect(await setCell('viewer', 'freshness').getAttribute('data-stale')).toBe('true');
    expect(await setCell('viewer', 'freshness').getAttribute('class')).toBe('warn');

    const ctr = (reason: string, column: string) =>
      page.locator(`#click-through-rows tr[data-reason="${reason}"] td[data-column="${column}"]`);
    expect(await ctr('co-watch', 'impressions').textContent()).toBe('4');
    expect(await ctr('co-watch', 'clicks').textContent()).toBe('1');
    expect(await ctr('co-watch', 'ctr').textContent()).toBe('25.00 %');
    expect(await ctr('popular', 'ctr').textContent()).toBe('50.00 %');
    // Three of the four catalog titles were shown (the one being watched never was).
    expect(await page.locator('[data-metric="coverage"]').textContent()).toBe('75.00 %');
    expect(await page.locator('#coverage-detail').textContent()).toBe('3 of 4 recommendable titles shown');
    expect(await page.locator('[data-metric="viewers-shown"]').textContent()).toBe('2');

    await keepScreenshot(page, 'dashboards-recommendations');
    expect(pageProblems).toEqual([]);
  });

  it('rolls a set back only once confirmed, and the previous version is live', async () => {
    const rollBack = page.locator('#feature-sets-rows tr[data-set="title"] button');
    page.once('dialog', (dialog) => void dialog.dismiss());
    await rollBack.click();
    expect(await liveVersions()).toMatchObject({ title: [versions.titleLive, versions.titleOld] });
    expect(await rollbackResult().isVisible()).toBe(false);

    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await rollBack.click();
    await poll(() => setCell('title', 'live').textContent()).toBe(`v${versions.titleOld}`);
    expect(question).toBe(
      `Roll the title feature set back from version ${versions.titleLive} to version ${versions.titleOld}? Readers switch to version ${versions.titleOld} at once; rolling back again undoes it.`,
    );
    expect(await rollbackResult().getAttribute('data-state')).toBe('ok');
    expect(await rollbackResult().textContent()).toBe(
      `Rolled back: title version ${versions.titleOld} is live again (version ${versions.titleLive} is now the previous one).`,
    );
    expect(await setCell('title', 'previous').textContent()).toBe(`v${versions.titleLive}`);
    expect(await liveVersions()).toMatchObject({ title: [versions.titleOld, versions.titleLive] });
    expect(pageProblems).toEqual([]);
  });

  it('says in words why a set cannot be rolled back (409: its previous version expired)', async () => {
    // What Redis does to a retired version's rows when their time is up.
    await featureStore.del(featureSetKeys('viewer').version(versions.viewerOld));
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#feature-sets-rows tr[data-set="viewer"] button').click();
    await poll(() => rollbackResult().getAttribute('data-state')).toBe('error');
    expect(await rollbackResult().textContent()).toBe(
      `Not rolled back: cannot roll feature set 'viewer' back to v${versions.viewerOld}: it has expired (0 of its 1 rows left); publish a new version instead`,
    );
    expect(await setCell('viewer', 'live').textContent()).toBe(`v${versions.viewerLive}`);
    expect(await liveVersions()).toMatchObject({ viewer: [versions.viewerLive, versions.viewerOld] });
    expect(pageProblems).toEqual([]);
  });
});
