/**
 * The page in headless Chromium against the real QoE API: beacons go through the embedded event log
 * and the analytics consumer into chdb; `GET /api/v1/videos` is a fixture standing in for the ingest
 * catalog (a service this package must not start). A product person types the key, picks the video
 * and reads the numbers.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBeaconConsumer } from '@streamloop/analytics/beacon-consumer';
import { MIGRATIONS_DIR } from '@streamloop/analytics/mount-analytics';
import { getOverview } from '@streamloop/analytics/qoe-queries';
import { registerQoeRoutes } from '@streamloop/analytics/qoe-routes';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { CHROMIUM_ARGS, CHROMIUM_PATH, eventually, uniqueName } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { createApiKeyGuard } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDashboards } from '../src/mount-dashboards.js';

const API_KEY = 'dashboards-test-key-0123456789';
const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));
// Never a downloaded browser: Debian's chromium, flags from FACTS.md.
const CHROMIUM = { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] };

const logger = createLogger({ name: 'dashboards-browser-test', level: 'silent' });
const watchedVideo = { id: uniqueName('watched'), title: 'Watched clip' };
const quietVideo = { id: uniqueName('quiet'), title: 'Nobody watched this' };

function beaconsOfView(view: {
  viewId: string;
  viewerId: string;
  startupTimeMs: number;
  watchMs: number;
  rebufferMs?: number;
}): Beacon[] {
  let seq = 0;
  const beacon = (event: Beacon['event'], extra: Partial<Beacon> = {}): Beacon => ({
    schema: 'qoe.beacon.v1',
    beaconId: randomUUID(),
    event,
    sessionId: `session-${view.viewId}`,
    viewId: view.viewId,
    viewerId: view.viewerId,
    videoId: watchedVideo.id,
    seq: seq++,
    clientTimeMs: Date.now(),
    monotonicMs: seq * 100,
    ...extra,
  });
  return [
    beacon('viewstart'),
    beacon('playrequest'),
    beacon('firstframe', { startupTimeMs: view.startupTimeMs }),
    ...(view.rebufferMs === undefined
      ? []
      : [beacon('rebufferstart'), beacon('rebufferend', { rebufferDurationMs: view.rebufferMs })]),
    beacon('heartbeat', { watchTimeMs: view.watchMs, playTimeMs: view.watchMs }),
    beacon('viewend'),
  ];
}

describe('dashboards in Chromium', () => {
  let dataDir: string;
  let store: Awaited<ReturnType<typeof createChdbAnalyticsStore>>;
  const log = createMemoryEventLog({ logger });
  const app = buildHttpApp({
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  let consumer: ReturnType<typeof createBeaconConsumer> | undefined;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const pageProblems: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'streamloop-dashboards-'));
    store = await createChdbAnalyticsStore({
      path: join(dataDir, 'clickhouse'),
      database: 'streamloop',
      logger,
    });
    await store.migrate(MIGRATIONS_DIR);
    await log.ensureTopics([TOPICS.qoeBeacons]);
    consumer = createBeaconConsumer({
      eventLog: log,
      analyticsStore: store,
      logger,
      registry: createMetricsRegistry({ collectProcessMetrics: false }),
    });
    await consumer.start();
    const beacons = [
      ...beaconsOfView({
        viewId: 'v1',
        viewerId: 'viewer-1',
        startupTimeMs: 500,
        watchMs: 10_000,
        rebufferMs: 400,
      }),
      ...beaconsOfView({ viewId: 'v2', viewerId: 'viewer-2', startupTimeMs: 900, watchMs: 20_000 }),
    ];
    const receivedAtMs = Date.now() - 60_000;
    await log.publish(
      TOPICS.qoeBeacons.name,
      beacons.map((beacon) => ({
        key: beacon.sessionId,
        value: Buffer.from(JSON.stringify({ beacon, receivedAtMs })),
      })),
    );
    await eventually('both views in ClickHouse', async () => {
      const overview = await getOverview(store, {
        videoId: watchedVideo.id,
        fromMs: receivedAtMs - 1,
        toMs: Date.now() + 1,
      });
      return overview.plays === 2 ? true : undefined;
    });

    mountDashboards(app, {});
    registerQoeRoutes(app, { analyticsStore: store, apiKey: API_KEY });
    // Fixture for the ingest catalog's list: the same shape ({ videos, nextCursor }) and the same key rule.
    app.get('/api/v1/videos', { onRequest: createApiKeyGuard(API_KEY) }, async () => ({
      videos: [quietVideo, watchedVideo].map((v) => ({ ...v, status: 'ready' })),
      nextCursor: null,
    }));
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });

    browser = await chromium.launch(CHROMIUM);
    page = await browser.newPage();
    page.on('console', (message) => {
      // The 401 of the wrong key the first test types is the expected answer, not a problem.
      if (message.type() === 'error' && !/status of 401/.test(message.text()))
        pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app.close();
    await consumer?.stop();
    await log.close();
    await store?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const status = () => page.locator('#status');
  const metric = (name: string) => page.locator(`[data-metric="${name}"]`);
  const useKey = async (key: string) => {
    await page.fill('#api-key', key);
    await page.click('#key-save');
  };

  it('asks for the key, says when it is rejected, then shows the numbers of the picked video', async () => {
    await page.goto(`${baseUrl}/dashboards/`);
    await expect.poll(() => status().getAttribute('data-state')).toBe('need-key');

    await useKey('not-the-key-at-all');
    await expect.poll(() => status().getAttribute('data-state')).toBe('key-rejected');
    expect(await status().textContent()).toContain('API key rejected');

    await useKey(API_KEY);
    // The first video of the list is picked first: nobody watched it.
    await expect.poll(() => status().getAttribute('data-state')).toBe('empty');
    expect(await status().textContent()).toContain('No plays yet');
    expect(await metric('plays').textContent()).toBe('0');

    await page.selectOption('#video', watchedVideo.id);
    await expect.poll(() => status().getAttribute('data-state')).toBe('ready');
    const shown = Object.fromEntries(
      await Promise.all(
        ['plays', 'viewers', 'startup-p50', 'startup-p95', 'rebuffer-ratio', 'watch-time', 'errors'].map(
          async (name) => [name, await metric(name).textContent()] as const,
        ),
      ),
    );
    expect(shown).toEqual({
      plays: '2',
      viewers: '2',
      'startup-p50': '700 ms', // [500, 900] → 500 + 0.5 × 400
      'startup-p95': '880 ms', // 500 + 0.95 × 400
      'rebuffer-ratio': '1.32 %', // 400 / (30 000 played + 400 stalled), CTA-2066
      'watch-time': '30 s',
      errors: '0',
    });
    expect(await metric('plays').getAttribute('data-value')).toBe('2');
    expect(new URL(page.url()).searchParams.get('videoId')).toBe(watchedVideo.id);

    await mkdir(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: join(RESULTS_DIR, 'dashboards-overview.png'), fullPage: true });
    expect(pageProblems).toEqual([]);
  });

  it('opens on the video named in ?videoId= (the key is remembered for the tab)', async () => {
    await page.goto(`${baseUrl}/dashboards/?videoId=${quietVideo.id}`);
    await expect.poll(() => status().getAttribute('data-state')).toBe('empty');
    expect(await page.inputValue('#video')).toBe(quietVideo.id);

    await page.goto(`${baseUrl}/dashboards/?videoId=${watchedVideo.id}`);
    await expect.poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.inputValue('#video')).toBe(watchedVideo.id);
    expect(await metric('plays').textContent()).toBe('2');
    expect(pageProblems).toEqual([]);
  });
});
