/**
 * `/dashboards/live` in headless Chromium against analytics' real QoE routes (`now` not fixed: the
 * page reads the last 30 minutes of real time) on chdb, beacons published through the embedded
 * event log and analytics' beacon consumer with receive times relative to the wall clock;
 * `GET /api/v1/videos` is a fixture standing in for the ingest catalog.
 *
 * Beacons, T0 = the time the suite starts, videos A and B:
 * - r1 on A starts (viewstart, playrequest, firstframe) at T0 − 10 min; r3 on B at T0 − 7 min; r2
 *   on A at T0 − 5 min;
 * - f1 on A: viewstart, playrequest and a fatal error at T0 − 3 min, no first frame (a start failure);
 * - l1 on A: only a viewend at T0 − 5 s (leaving: not watching);
 * - o1 on A: a heartbeat at T0 − 40 min, before the 30 minutes;
 * - watching: r1, r2, r3 and the simulated s1 (on A) heartbeat at each `keepWatching()` (now, as
 *   players do every 10 s), r4 on B too from the second test on.
 * Those offsets are minutes apart, so each lands in a minute of its own; every expectation below is
 * looked up by the minute (epoch seconds, uPlot's x) of the receive time written, never by index.
 * Real viewers, every video: watching now r1, r2, r3 = 3; plays r1, r3, r2, f1 = 4; start failures 1.
 */
import { registerQoeRoutes } from '@streamloop/analytics/qoe-routes';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { makeBeacon, uniqueName } from '@streamloop/core/testing';
import { createApiKeyGuard } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDashboards } from '../src/mount-dashboards.js';
import {
  type BeaconPipeline,
  CHROMIUM,
  keepScreenshot,
  MINUTE_MS,
  openBeaconPipeline,
  pageProblemsOf,
  poll,
} from './beacon-pipeline.js';

const API_KEY = 'dashboards-live-key-0123456789';
const logger = createLogger({ name: 'dashboards-live-test', level: 'silent' });
const videoA = { id: uniqueName('live-a'), title: 'Live clip A' };
const videoB = { id: uniqueName('live-b'), title: 'Live clip B' };

interface Viewer {
  id: string;
  videoId: string;
  marks?: Partial<Beacon>;
}
const r1: Viewer = { id: 'r1', videoId: videoA.id };
const r2: Viewer = { id: 'r2', videoId: videoA.id };
const r3: Viewer = { id: 'r3', videoId: videoB.id };
const r4: Viewer = { id: 'r4', videoId: videoB.id };
const f1: Viewer = { id: 'f1', videoId: videoA.id };
const l1: Viewer = { id: 'l1', videoId: videoA.id };
const o1: Viewer = { id: 'o1', videoId: videoA.id };
const s1: Viewer = {
  id: 's1',
  videoId: videoA.id,
  marks: { synthetic: true, cohort: 'commuters', networkClass: '3g' },
};

const beaconsOf = (viewer: Viewer, events: Beacon['event'][]): Beacon[] =>
  events.map((event) =>
    makeBeacon({
      event,
      viewerId: `viewer-${viewer.id}`,
      viewId: `view-${viewer.id}`,
      sessionId: `session-${viewer.id}`,
      videoId: viewer.videoId,
      clientTimeMs: Date.now(),
      ...(event === 'error' ? { errorCode: 'MEDIA_ERR_SRC_NOT_SUPPORTED', fatal: true } : {}),
      ...viewer.marks,
    }),
  );
const STARTS: Beacon['event'][] = ['viewstart', 'playrequest', 'firstframe'];

/** The minute a receive time falls in, as the chart's x value (uPlot's time scale is in seconds). */
const minuteOf = (ms: number) => (Math.floor(ms / MINUTE_MS) * MINUTE_MS) / 1000;

/** What one chart was given: its x values and the minutes where a series is not zero, by minute. */
interface Plot {
  points: number;
  stepsOf60s: boolean;
  nonZero: Record<number, number>[];
}

describe('live page in Chromium', () => {
  let pipeline: BeaconPipeline | undefined;
  const app = buildHttpApp({
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let baseUrl: string;
  let pageProblems: string[] = [];
  const t0 = Date.now();
  const at = {
    r1Starts: t0 - 10 * MINUTE_MS,
    r3Starts: t0 - 7 * MINUTE_MS,
    r2Starts: t0 - 5 * MINUTE_MS,
    f1Fails: t0 - 3 * MINUTE_MS,
  };
  /** Viewers whose players are still sending heartbeats. */
  const watching: Viewer[] = [r1, r2, r3, s1];
  /** The receive time of every `keepWatching()`, oldest first. */
  const heartbeats: number[] = [];

  /** A heartbeat from every viewer still watching, received now; returns its receive time. */
  const keepWatching = async () => {
    const receivedAtMs = Date.now();
    await pipeline!.publish(
      watching.flatMap((viewer) => beaconsOf(viewer, ['heartbeat'])),
      receivedAtMs,
    );
    heartbeats.push(receivedAtMs);
    return receivedAtMs;
  };

  beforeAll(async () => {
    pipeline = await openBeaconPipeline(logger, 'dashboards-live');
    const history: [Beacon[], number][] = [
      [beaconsOf(r1, STARTS), at.r1Starts],
      [beaconsOf(r3, STARTS), at.r3Starts],
      [beaconsOf(r2, STARTS), at.r2Starts],
      [beaconsOf(f1, ['viewstart', 'playrequest', 'error']), at.f1Fails],
      [beaconsOf(l1, ['viewend']), t0 - 5_000],
      [beaconsOf(o1, ['heartbeat']), t0 - 40 * MINUTE_MS],
    ];
    for (const [beacons, receivedAtMs] of history) await pipeline.publish(beacons, receivedAtMs);

    mountDashboards(app, {});
    // A viewer or two a cell, worked by hand: the privacy floor is off here (privacy-browser.test.ts has it).
    registerQoeRoutes(app, { analyticsStore: pipeline.store, apiKey: API_KEY, privacyMinViewers: 1 });
    // Fixture for the ingest catalog's list: the same shape ({ videos, nextCursor }) and the same key rule.
    app.get('/api/v1/videos', { onRequest: createApiKeyGuard(API_KEY) }, async () => ({
      videos: [videoA, videoB].map((v) => ({ ...v, status: 'ready' })),
      nextCursor: null,
    }));
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });

    browser = await chromium.launch(CHROMIUM);
    context = await browser.newContext();
    page = await context.newPage();
    pageProblems = pageProblemsOf(page, /ERR_INTERNET_DISCONNECTED/);
  });

  afterAll(async () => {
    await browser?.close();
    await app.close();
    await pipeline?.close();
  });

  const status = () => page.locator('#status');
  const metric = (name: string) => page.locator(`[data-metric="${name}"]`);
  /** The data the chart in `selector` handed to uPlot (`uPlot#data`), read back as the page keeps it. */
  const plotOf = async (selector: string): Promise<Plot | null> => {
    const json = await page.locator(selector).getAttribute('data-plot');
    if (!json) return null;
    const [times = [], ...series] = JSON.parse(json) as number[][];
    return {
      points: times.length,
      stepsOf60s: times.every((t, i) => i === 0 || t - times[i - 1]! === 60),
      nonZero: series.map((values) =>
        Object.fromEntries(times.flatMap((t, i) => (values[i] ? [[t, values[i]]] : []))),
      ),
    };
  };
  /** Every heartbeat so far, each minute with `count` viewers (the same viewers heartbeat together). */
  const heartbeatMinutes = (count: number) =>
    Object.fromEntries(heartbeats.map((ms) => [minuteOf(ms), count]));
  const screen = async () => ({
    now: await metric('concurrent-viewers').textContent(),
    plays: await metric('plays').textContent(),
    failures: await metric('start-failures').textContent(),
    viewers: await plotOf('#viewers-chart'),
    starts: await plotOf('#starts-chart'),
  });

  it('shows the viewers watching now, plays and start failures, and hands uPlot 30 minutes of counts', async () => {
    await page.goto(`${baseUrl}/dashboards/live`);
    await poll(() => status().getAttribute('data-state')).toBe('need-key');
    await keepWatching();
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');

    await poll(screen).toEqual({
      now: '3', // r1, r2, r3 (s1 is simulated, l1 only left, f1 and o1 sent nothing in the last 60 s)
      plays: '4', // r1, r3, r2, f1
      failures: '1', // f1
      viewers: {
        points: 30,
        stepsOf60s: true,
        nonZero: [
          {
            [minuteOf(at.r1Starts)]: 1,
            [minuteOf(at.r3Starts)]: 1,
            [minuteOf(at.r2Starts)]: 1,
            // f1's beacons are not viewends: a viewer in that minute, failed or not.
            [minuteOf(at.f1Fails)]: 1,
            ...heartbeatMinutes(3),
          },
        ],
      },
      starts: {
        points: 30,
        stepsOf60s: true,
        nonZero: [
          {
            [minuteOf(at.r1Starts)]: 1,
            [minuteOf(at.r3Starts)]: 1,
            [minuteOf(at.r2Starts)]: 1,
            [minuteOf(at.f1Fails)]: 1,
          },
          { [minuteOf(at.f1Fails)]: 1 },
        ],
      },
    });
    expect(await status().getAttribute('data-state')).toBe('ready');
    expect(await status().textContent()).toMatch(/^Updated \d{1,2}:\d{2}:\d{2}/);
    // Drawn by uPlot (a canvas each), under the page's CSP: a blocked style would be a console error.
    expect(await page.locator('#viewers-chart .uplot canvas').count()).toBe(1);
    expect(await page.locator('#starts-chart .uplot canvas').count()).toBe(1);
    expect(await page.locator('#starts-chart .u-legend').textContent()).toContain('Start failures');
    expect(await page.locator('a[data-nav="live"]').textContent()).toBe('Live');

    await keepScreenshot(page, 'dashboards-live');
    expect(pageProblems).toEqual([]);
  });

  it('counts a viewer who just started on the next refresh, without a reload', async () => {
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    expect(await metric('concurrent-viewers').textContent()).toBe('3');

    watching.push(r4);
    const joinedAt = await keepWatching();
    await poll(() => metric('concurrent-viewers').textContent()).toBe('4');
    // The minute r4 joined in: r1, r2, r3 and r4.
    expect((await plotOf('#viewers-chart'))?.nonZero[0]?.[minuteOf(joinedAt)]).toBe(4);
    expect(await metric('concurrent-viewers').getAttribute('data-value')).toBe('4');
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(loadedAt);
    expect(pageProblems).toEqual([]);
  });

  it('narrows to the video in ?videoId=', async () => {
    await keepWatching();
    await page.goto(`${baseUrl}/dashboards/live?videoId=${videoA.id}`);
    await poll(screen).toEqual({
      now: '2', // r1, r2 (r3 and r4 watch B)
      plays: '3', // r1, r2, f1
      failures: '1',
      viewers: {
        points: 30,
        stepsOf60s: true,
        nonZero: [
          {
            [minuteOf(at.r1Starts)]: 1,
            [minuteOf(at.r2Starts)]: 1,
            [minuteOf(at.f1Fails)]: 1,
            ...heartbeatMinutes(2),
          },
        ],
      },
      starts: {
        points: 30,
        stepsOf60s: true,
        nonZero: [
          { [minuteOf(at.r1Starts)]: 1, [minuteOf(at.r2Starts)]: 1, [minuteOf(at.f1Fails)]: 1 },
          { [minuteOf(at.f1Fails)]: 1 },
        ],
      },
    });
    expect(await page.inputValue('#live-video')).toBe(videoA.id);
    // The other pages' links carry the video along.
    const overview = new URL((await page.locator('a[data-nav="overview"]').getAttribute('href'))!, baseUrl);
    expect(overview.searchParams.get('videoId')).toBe(videoA.id);
    expect(pageProblems).toEqual([]);
  });

  it('counts the simulated viewer under "All", says so, and every video again for "All videos"', async () => {
    const lastBeat = await keepWatching();
    await page.selectOption('#scope', 'all');
    await poll(() => metric('concurrent-viewers').textContent()).toBe('3'); // r1, r2 and the simulated s1
    expect((await plotOf('#viewers-chart'))?.nonZero[0]?.[minuteOf(lastBeat)]).toBe(3);
    expect(await page.locator('#synthetic-banner').isVisible()).toBe(true);
    expect(await page.locator('#synthetic-banner').getAttribute('data-scope')).toBe('all');
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
      videoId: videoA.id,
      synthetic: 'all',
    });

    await page.selectOption('#live-video', '');
    await poll(() => metric('concurrent-viewers').textContent()).toBe('5'); // r1, r2, r3, r4, s1
    expect(new URL(page.url()).searchParams.has('videoId')).toBe(false);
    await keepScreenshot(page, 'dashboards-live-all');
    expect(pageProblems).toEqual([]);
  });

  it('keeps the last numbers on screen when a refresh fails, and says so until one works again', async () => {
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    const before = await screen();
    // The network going away is the fault; the browser's offline switch is the real way to cause it here.
    await context.setOffline(true);
    try {
      await poll(() => status().getAttribute('data-state')).toBe('error');
      expect(await status().textContent()).toMatch(/^Could not refresh: .*Showing the numbers of /);
      expect(await page.locator('#live').getAttribute('data-stale')).toBe('true');
      expect(await screen()).toEqual(before);
    } finally {
      await context.setOffline(false);
    }
    await keepWatching();
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.locator('#live').getAttribute('data-stale')).toBe('false');
    expect(await metric('concurrent-viewers').textContent()).toBe('5');
    expect(pageProblems).toEqual([]);
  });
});
