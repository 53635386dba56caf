/**
 * "Up next" on /watch (issue 14) in Debian's Chromium. One app composes the real pieces the row
 * touches: the watch page and the SDK build (dashboards), the recommendations route on a scratch
 * PostgreSQL catalog and a title feature set published into the real Redis under a key prefix of
 * this run (analytics, feature-store), the collector, the embedded event log, the beacon consumer
 * and chdb (ClickHouse) read back through the QoE sessions API as an analyst would.
 *
 * Fixtures stand in for what the row does not touch: the playback API and origin (an ffmpeg HLS
 * clip: no transcode needed to play something) and the catalog's title route (ingest).
 *
 * Video A's co-watch list names B, then X, whose title is markup: the row on /watch/A shows both as
 * text, each shown title is an impression beacon, a click on B is a click beacon, and the view of B
 * it opens says on its viewstart that it began from a co-watch recommendation.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createBeaconConsumer } from '@streamloop/analytics/beacon-consumer';
import { MIGRATIONS_DIR } from '@streamloop/analytics/migrations-dir';
import { registerQoeRoutes } from '@streamloop/analytics/qoe-routes';
import { recommendationsRoutes } from '@streamloop/analytics/recommendations/recommendations-route';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { mountCollector } from '@streamloop/beacon-collector/mount-collector';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { loadConfig } from '@streamloop/core/config';
import type { TitleFeatures } from '@streamloop/core/features';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { makeLadderRecord, requireService, uniqueName } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import { mountPlayerPages } from '@streamloop/dashboards/mount-player-pages';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import {
  FEATURE_SET_SEQ_KEY,
  featureSetKeys,
  publishFeatureSet,
} from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { createRedisFeatureStore } from '@streamloop/feature-store/redis-feature-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { eventsOf, waitForBeacons } from './player-beacons.js';
import { viewOf } from './player-pages.js';

const API_KEY = 'up-next-e2e-key-0123456789abcdef';
const logger = createLogger({ name: 'up-next-e2e', level: 'silent' });
const A = { id: uniqueName('alpha'), title: 'Alpha clip' };
const B = { id: uniqueName('bravo'), title: 'Bravo clip' };
/** User content that would run if the page ever wrote a title as HTML. */
const X = { id: uniqueName('xss'), title: '<img src=x onerror="window.__xss=1">' };
const TITLES = new Map([A, B, X].map((v) => [v.id, v.title]));

/** A title row with only co-watch set (what the row on A's page is built from). */
function titleRow(videoId: string, coWatch: TitleFeatures['coWatch']): TitleFeatures {
  const none = { samples: 0, p10: 0, p25: 0, p50: 0, p75: 0, p90: 0 };
  return {
    videoId,
    popularity: { h1: 0, h24: 0, d7: 0, decayed: 0 },
    completionRate: 0,
    coWatch,
    qoe: { views: 0, rebufferRatio: 0, startFailureRate: 0 },
    rungShare: [],
    throughputKbps: none,
  };
}

/** The click-through query of docs/recommendations.md, as a reader copies it from there. */
async function documentedClickThroughSql(): Promise<string> {
  const doc = await readFile(new URL('../../docs/recommendations.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Up next on /watch'));
  const sql = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
  if (sql === undefined) throw new Error('docs/recommendations.md has no SQL under "Up next on /watch"');
  return sql;
}

describe('Up next on /watch, with the real recommendations route, collector and analytics', () => {
  const scratchDirs: string[] = [];
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let catalog: ReturnType<typeof createPgCatalog>;
  let featureStore: FeatureStore;
  let titleSetVersion = 0;
  let store: Awaited<ReturnType<typeof createChdbAnalyticsStore>>;
  let consumer: ReturnType<typeof createBeaconConsumer> | undefined;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    const [hlsDir, dataDir] = await Promise.all([
      mkdtemp(path.join(tmpdir(), 'up-next-hls-')),
      mkdtemp(path.join(tmpdir(), 'up-next-data-')),
    ]);
    scratchDirs.push(hlsDir, dataDir);
    // biome-ignore format: one ffmpeg option per line reads better
    const encoding = promisify(execFile)('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
      '-f', 'lavfi', '-i', 'sine',
      '-t', '8',
      '-c:v', 'libx264', '-preset', 'veryfast', '-g', '60', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac',
      '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-master_pl_name', 'master.m3u8',
      path.join(hlsDir, 'index.m3u8'),
    ]);

    scratch = await createScratchDatabase(postgresUrl(), 'e2e_up_next');
    catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
    await catalog.migrate();
    for (const video of [A, B, X]) {
      await insertVideo(catalog, {
        id: video.id,
        title: video.title,
        status: 'ready',
        playbackPolicy: 'public',
        ladder: makeLadderRecord(),
      });
    }

    const redisUrl = requireService('Redis', 'REDIS_URL', loadConfig(process.env).redisUrl);
    featureStore = await createRedisFeatureStore({
      url: redisUrl,
      keyPrefix: `${uniqueName('streamloop-test-up-next')}:`,
      logger,
    });
    const published = await publishFeatureSet(
      featureStore,
      'title',
      [
        titleRow(A.id, [
          { videoId: B.id, score: 0.6 },
          { videoId: X.id, score: 0.4 },
        ]),
      ],
      { newestSourceAt: null },
    );
    titleSetVersion = published.version;

    const log = createMemoryEventLog({ logger });
    await log.ensureTopics([TOPICS.qoeBeacons]);
    store = await createChdbAnalyticsStore({
      path: path.join(dataDir, 'clickhouse'),
      database: 'streamloop',
      logger,
    });
    await store.migrate(MIGRATIONS_DIR);
    const registry = createMetricsRegistry({ collectProcessMetrics: false });
    consumer = createBeaconConsumer({ eventLog: log, analyticsStore: store, logger, registry });
    await consumer.start();

    app = buildHttpApp({ logger, registry, ports: [] });
    mountPlayerPages(app, { collectorUrl: '/v1/beacons', catalog });
    mountCollector(app, { eventLog: log, logger, registry, rateLimit: false });
    await app.register(recommendationsRoutes, { featureStore, catalog, apiKey: API_KEY });
    registerQoeRoutes(app, { analyticsStore: store, apiKey: API_KEY });
    // Fixtures: the playback API and origin (one clip for every id) and the catalog's title route.
    app.get(
      '/api/v1/videos/:id/playback',
      async (): Promise<PlaybackResponse> => ({
        manifestUrl: '/media/master.m3u8',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        variant: null,
      }),
    );
    app.get<{ Params: { id: string } }>('/api/v1/videos/:id', async (request, reply) => {
      const title = TITLES.get(request.params.id);
      return title === undefined ? reply.code(404).send() : { id: request.params.id, title };
    });
    app.get<{ Params: { file: string } }>('/media/:file', async (request, reply) => {
      const file = path.basename(request.params.file);
      const type = file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
      return reply.header('content-type', type).send(await readFile(path.join(hlsDir, file)));
    });
    await encoding;
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await consumer?.stop();
    await store?.close();
    // Only this run's keys: the set's versions, its pointer and meta, and the version counter.
    const keys = featureSetKeys('title');
    await featureStore?.del(keys.live, keys.meta, keys.version(titleSetVersion), FEATURE_SET_SEQ_KEY);
    await featureStore?.close();
    await catalog?.close();
    await scratch?.drop();
    await Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** A page that collects what a viewer or developer would call broken: script errors, CSP violations. */
  async function openPage(): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.addInitScript(
      `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
    );
    return { page, problems };
  }

  it('shows B under A as text, counts each title shown and the click, and marks the view of B it opens', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}/watch/${A.id}`);
    const viewOfA = await viewOf(page);
    await page.locator('#up-next').waitFor({ state: 'visible', timeout: 20_000 });

    // What the viewer reads: the titles in co-watch order, why, and the predicted start-up.
    const cards = page.locator('#up-next li a');
    expect(await page.locator('#up-next-heading').textContent()).toBe('Up next');
    expect(await cards.locator('.up-next-title').allTextContents()).toEqual([B.title, X.title]);
    expect(await cards.locator('.up-next-why').allTextContents()).toEqual([
      `Because you watched ${A.title}`,
      `Because you watched ${A.title}`,
    ]);
    for (const startup of await cards.locator('.up-next-startup').allTextContents())
      expect(startup).toMatch(/^Starts in about \d+\.\d s$/);
    // The markup title is text: no element was made from it and its handler never ran.
    expect(await page.locator('#up-next img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    // A link each, reachable from the keyboard.
    await cards.first().focus();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-video-id'))).toBe(B.id);

    await Promise.all([page.waitForURL(`${base}/watch/${B.id}`), page.keyboard.press('Enter')]);
    const viewOfB = await viewOf(page);
    expect(viewOfB.sessionId).not.toBe(viewOfA.sessionId);
    await page.close({ runBeforeUnload: true });
    expect(problems).toEqual([]);

    const { sdk: beaconsOfA } = await waitForBeacons(
      'the click on A’s page',
      base,
      API_KEY,
      viewOfA.sessionId,
      (b) => b.some((beacon) => beacon.event === 'recommendationclick'),
    );
    const recommended = (event: 'recommendationimpression' | 'recommendationclick') =>
      eventsOf(beaconsOfA, event).map((b) => [
        b.viewId,
        b.videoId,
        b.recommendedVideoId,
        b.recommendationReason,
        b.recommendationPosition,
      ]);
    expect(recommended('recommendationimpression')).toEqual([
      [viewOfA.viewId, A.id, B.id, 'co-watch', 0],
      [viewOfA.viewId, A.id, X.id, 'co-watch', 1],
    ]);
    expect(recommended('recommendationclick')).toEqual([[viewOfA.viewId, A.id, B.id, 'co-watch', 0]]);
    // A was opened directly: its viewstart names no recommendation.
    expect(eventsOf(beaconsOfA, 'viewstart')[0]?.recommendationReason).toBeUndefined();

    const { sdk: beaconsOfB } = await waitForBeacons('the view of B', base, API_KEY, viewOfB.sessionId, (b) =>
      b.some((beacon) => beacon.event === 'viewstart'),
    );
    const starts = eventsOf(beaconsOfB, 'viewstart');
    expect(starts.map((b) => [b.videoId, b.viewId, b.recommendationReason])).toEqual([
      [B.id, viewOfB.viewId, 'co-watch'],
    ]);
    // Only viewstart carries it: the view's other beacons describe playback, not how it began.
    expect(beaconsOfB.filter((b) => b.event !== 'viewstart' && b.recommendationReason !== undefined)).toEqual(
      [],
    );

    // The documented click-through query, on what reached ClickHouse: 2 shown, 1 chosen.
    const rows = await store.readonlyQuery<{ reason: string; impressions: string; clicks: string }>(
      await documentedClickThroughSql(),
      {},
      { maxExecutionTimeS: 30, maxResultRows: 1000 },
    );
    expect(rows.map((r) => [r.reason, Number(r.impressions), Number(r.clicks)])).toEqual([
      ['co-watch', 2, 1],
    ]);
    expect(rows[0]).toMatchObject({ click_through: 0.5 });
  }, 120_000);

  it('hides the row when the API has nothing for the video', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${base}/watch/${B.id}?from=trending`);
    const view = await viewOf(page);
    // The row is asked for after the first frame (or 2 s); the page marks the row once answered.
    await page.locator('#up-next[data-state="empty"]').waitFor({ state: 'attached', timeout: 20_000 });
    expect(await page.isVisible('#up-next')).toBe(false);
    expect(await page.locator('#up-next li').count()).toBe(0);
    await page.close({ runBeforeUnload: true });
    expect(problems).toEqual([]);
    const { sdk } = await waitForBeacons(
      'the view of B opened directly',
      base,
      API_KEY,
      view.sessionId,
      (b) => b.some((beacon) => beacon.event === 'viewend'),
    );
    // `from` outside the reasons is ignored, and nothing was shown, so nothing was counted.
    expect(eventsOf(sdk, 'viewstart')[0]?.recommendationReason).toBeUndefined();
    expect(sdk.filter((b) => b.event.startsWith('recommendation'))).toEqual([]);
  }, 60_000);
});
