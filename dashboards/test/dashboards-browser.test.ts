/**
 * The pages in headless Chromium against the real QoE API: beacons go through the embedded event log
 * and the analytics consumer into chdb; `GET /api/v1/videos` is a fixture standing in for the ingest
 * catalog (a service this package must not start). A product person types the key, picks the video
 * and reads the numbers; real viewers by default, simulated (synthetic) ones only when asked, and
 * then with a banner saying so.
 */
import { registerQoeRoutes } from '@streamloop/analytics/qoe-routes';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { createApiKeyGuard } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDashboards } from '../src/mount-dashboards.js';
import {
  type BeaconPipeline,
  CHROMIUM,
  keepScreenshot,
  openBeaconPipeline,
  poll,
  viewBeacons,
} from './beacon-pipeline.js';

const API_KEY = 'dashboards-test-key-0123456789';

const logger = createLogger({ name: 'dashboards-browser-test', level: 'silent' });
const watchedVideo = { id: uniqueName('watched'), title: 'Watched clip' };
const quietVideo = { id: uniqueName('quiet'), title: 'Nobody watched this' };
/** Like the demo video: only the simulator's audience watched it. */
const simulatedVideo = { id: uniqueName('simulated'), title: 'Demo clip' };

/** A simulated viewer's marks, as the simulator puts them on every beacon. */
const simulated = (cohort: string, networkClass: string) =>
  ({ synthetic: true, cohort, networkClass }) as const;

/** The views of this file: the watched video unless said, a heartbeat of `watchMs` played. */
const beaconsOfView = (view: {
  viewId: string;
  viewerId: string;
  startupTimeMs: number;
  watchMs: number;
  rebufferMs?: number;
  videoId?: string;
  marks?: Partial<Beacon>;
}): Beacon[] =>
  viewBeacons({
    videoId: view.videoId ?? watchedVideo.id,
    viewId: view.viewId,
    viewerId: view.viewerId,
    startupTimeMs: view.startupTimeMs,
    playMs: view.watchMs,
    ...(view.rebufferMs === undefined ? {} : { stallMs: view.rebufferMs }),
    ...(view.marks === undefined ? {} : { marks: view.marks }),
  });

describe('dashboards in Chromium', () => {
  let pipeline: BeaconPipeline | undefined;
  let store: AnalyticsStore;
  const app = buildHttpApp({
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const pageProblems: string[] = [];

  beforeAll(async () => {
    pipeline = await openBeaconPipeline(logger, 'dashboards');
    store = pipeline.store;
    const beacons: Beacon[] = [
      ...beaconsOfView({
        viewId: 'v1',
        viewerId: 'viewer-1',
        startupTimeMs: 500,
        watchMs: 10_000,
        rebufferMs: 400,
      }),
      ...beaconsOfView({ viewId: 'v2', viewerId: 'viewer-2', startupTimeMs: 900, watchMs: 20_000 }),
      // One simulated viewer on the watched video: counted only when the page asks for simulated viewers.
      ...beaconsOfView({
        viewId: 's1',
        viewerId: 'sim-1',
        startupTimeMs: 2_000,
        watchMs: 5_000,
        marks: simulated('commuters', '3g'),
      }),
      // The demo video's audience: simulated viewers only.
      ...[
        { viewId: 's2', cohort: 'commuters', networkClass: '3g' },
        { viewId: 's3', cohort: 'commuters', networkClass: '3g' },
        { viewId: 's4', cohort: 'home', networkClass: 'wifi' },
      ].map(({ viewId, cohort, networkClass }) =>
        beaconsOfView({
          viewId,
          viewerId: `sim-${viewId}`,
          startupTimeMs: 1_000,
          watchMs: 8_000,
          videoId: simulatedVideo.id,
          marks: simulated(cohort, networkClass),
        }),
      ),
    ].flat();
    const receivedAtMs = Date.now() - 60_000;
    await pipeline.publish(beacons, receivedAtMs);
    mountDashboards(app, {});
    // A viewer or two a cell, worked by hand: the privacy floor is off here (privacy-browser.test.ts has it).
    registerQoeRoutes(app, { analyticsStore: store, apiKey: API_KEY, privacyMinViewers: 1 });
    // Fixture for the ingest catalog's list: the same shape ({ videos, nextCursor }) and the same key rule.
    app.get('/api/v1/videos', { onRequest: createApiKeyGuard(API_KEY) }, async () => ({
      videos: [quietVideo, watchedVideo, simulatedVideo].map((v) => ({ ...v, status: 'ready' })),
      nextCursor: null,
    }));
    await eventually('every view, real and simulated, in ClickHouse', async () => {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/qoe/overview?synthetic=all&from=${receivedAtMs - 60_000}&to=${Date.now() + 60_000}`,
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      return res.statusCode === 200 && res.json<{ plays: number }>().plays === 6 ? true : undefined;
    });
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
    await pipeline?.close();
  });

  const status = () => page.locator('#status');
  const banner = () => page.locator('#synthetic-banner');
  const hint = () => page.locator('#synthetic-hint');
  const cellOf = (row: string, column: string) => page.locator(`${row} td[data-column="${column}"]`);
  const metric = (name: string) => page.locator(`[data-metric="${name}"]`);
  const useKey = async (key: string) => {
    await page.fill('#api-key', key);
    await page.click('#key-save');
  };

  it('asks for the key, says when it is rejected, then shows every video, then the picked one', async () => {
    await page.goto(`${baseUrl}/dashboards/`);
    await poll(() => status().getAttribute('data-state')).toBe('need-key');

    await useKey('not-the-key-at-all');
    await poll(() => status().getAttribute('data-state')).toBe('key-rejected');
    expect(await status().textContent()).toContain('API key rejected');

    await useKey(API_KEY);
    // Every video first: the fleet's real plays are the watched video's two (the rest is simulated).
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.inputValue('#video')).toBe('');
    expect(await metric('plays').textContent()).toBe('2');

    // A video nobody watched, not even a simulated viewer.
    await page.selectOption('#video', quietVideo.id);
    await poll(() => status().getAttribute('data-state')).toBe('empty');
    expect(await status().textContent()).toContain('No plays yet');
    expect(await metric('plays').textContent()).toBe('0');
    await poll(() => hint().getAttribute('data-state')).toBe('none');
    expect(await hint().isVisible()).toBe(false);

    await page.selectOption('#video', watchedVideo.id);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
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
    // Real viewers only, by default, and nothing on screen says otherwise.
    expect(await page.inputValue('#scope')).toBe('real');
    expect(await banner().isVisible()).toBe(false);
    expect(new URL(page.url()).searchParams.has('synthetic')).toBe(false);

    await keepScreenshot(page, 'dashboards-overview');
    expect(pageProblems).toEqual([]);
  });

  it('opens on the video named in ?videoId= (the key is remembered for the tab)', async () => {
    await page.goto(`${baseUrl}/dashboards/?videoId=${quietVideo.id}`);
    await poll(() => status().getAttribute('data-state')).toBe('empty');
    expect(await page.inputValue('#video')).toBe(quietVideo.id);

    await page.goto(`${baseUrl}/dashboards/?videoId=${watchedVideo.id}`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.inputValue('#video')).toBe(watchedVideo.id);
    expect(await metric('plays').textContent()).toBe('2');
    expect(pageProblems).toEqual([]);
  });
  it('says why a video only simulated viewers watched looks empty, and shows them in one click, marked synthetic', async () => {
    await page.goto(`${baseUrl}/dashboards/?videoId=${simulatedVideo.id}`);
    await poll(() => status().getAttribute('data-state')).toBe('empty');
    await poll(() => hint().getAttribute('data-state')).toBe('offered');
    expect(await hint().textContent()).toContain('there are 3 simulated plays');
    expect(await banner().isVisible()).toBe(false);
    await keepScreenshot(page, 'dashboards-offer-simulated');

    await page.click('#show-synthetic');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await metric('plays').textContent()).toBe('3');
    expect(await page.inputValue('#scope')).toBe('synthetic');
    expect(await banner().isVisible()).toBe(true);
    expect(await banner().getAttribute('data-scope')).toBe('synthetic');
    expect(await banner().textContent()).toContain('synthetic (simulated) viewers, not from people');
    expect(await hint().isVisible()).toBe(false);
    expect(new URL(page.url()).searchParams.get('synthetic')).toBe('synthetic');

    await keepScreenshot(page, 'dashboards-simulated');

    // The URL keeps the scope: a reload or a shared link shows the same simulated numbers, banner and all.
    await page.goto(page.url());
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.inputValue('#scope')).toBe('synthetic');
    expect(await metric('plays').textContent()).toBe('3');
    expect(await banner().isVisible()).toBe(true);
    expect(pageProblems).toEqual([]);
  });

  it('counts real and simulated viewers under "All", says so, and drops them again for "Real viewers"', async () => {
    await page.goto(`${baseUrl}/dashboards/?videoId=${watchedVideo.id}&synthetic=all`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await metric('plays').textContent()).toBe('3');
    expect(await banner().getAttribute('data-scope')).toBe('all');
    expect(await banner().textContent()).toContain('mix real viewers with synthetic (simulated) ones');

    await page.selectOption('#scope', 'real');
    await poll(() => metric('plays').textContent()).toBe('2');
    await poll(() => banner().isVisible()).toBe(false);
    expect(new URL(page.url()).searchParams.has('synthetic')).toBe(false);
    expect(pageProblems).toEqual([]);
  });

  it('marks simulated views in the sessions list, with their cohort and network class', async () => {
    await page.goto(`${baseUrl}/dashboards/sessions?videoId=${watchedVideo.id}&synthetic=all`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await status().textContent()).toContain('3 views, 1 simulated');
    expect(await banner().getAttribute('data-scope')).toBe('all');
    const rows = page.locator('#sessions-rows tr');
    expect(await rows.count()).toBe(3);

    const simulatedRow = '#sessions-rows tr[data-synthetic="true"]';
    expect(await page.locator(simulatedRow).count()).toBe(1);
    expect(await page.locator(`${simulatedRow} .badge`).textContent()).toBe('Simulated');
    expect(await cellOf(simulatedRow, 'viewer').textContent()).toBe('Simulated sim-1');
    expect(await cellOf(simulatedRow, 'cohort').textContent()).toBe('commuters');
    expect(await cellOf(simulatedRow, 'network-class').textContent()).toBe('3g');
    const realRows = '#sessions-rows tr[data-synthetic="false"]';
    expect(await page.locator(realRows).count()).toBe(2);
    expect(await page.locator(`${realRows} .badge`).count()).toBe(0);
    expect(await cellOf(realRows, 'cohort').allTextContents()).toEqual(['—', '—']);
    await keepScreenshot(page, 'dashboards-sessions');

    // The other pages' links carry the video, the scope and the range along.
    const overviewLink = new URL(
      (await page.locator('a[data-nav="overview"]').getAttribute('href'))!,
      baseUrl,
    );
    expect(Object.fromEntries(overviewLink.searchParams)).toEqual({
      videoId: watchedVideo.id,
      range: '24h',
      synthetic: 'all',
    });
    expect(pageProblems).toEqual([]);
  });

  it('breaks simulated viewers down by network class and by cohort', async () => {
    await page.goto(`${baseUrl}/dashboards/breakdown?synthetic=synthetic&dimension=networkClass`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    // Every video ("All videos"): the watched video's simulated viewer and the demo audience.
    expect(await page.inputValue('#video')).toBe('');
    expect(await page.inputValue('#dimension')).toBe('networkClass');
    expect(await page.locator('#breakdown-rows tr').count()).toBe(2);
    expect(await cellOf('#breakdown-rows tr[data-value="3g"]', 'plays').textContent()).toBe('3');
    expect(await cellOf('#breakdown-rows tr[data-value="wifi"]', 'plays').textContent()).toBe('1');
    expect(await banner().isVisible()).toBe(true);

    await page.selectOption('#dimension', 'cohort');
    await poll(() => page.locator('#breakdown').getAttribute('data-dimension')).toBe('cohort');
    expect(await cellOf('#breakdown-rows tr[data-value="commuters"]', 'plays').textContent()).toBe('3');
    expect(await cellOf('#breakdown-rows tr[data-value="home"]', 'plays').textContent()).toBe('1');
    expect(new URL(page.url()).searchParams.get('dimension')).toBe('cohort');
    expect(pageProblems).toEqual([]);
  });
});
