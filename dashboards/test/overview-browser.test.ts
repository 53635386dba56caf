/**
 * The overview's change against the period before and its chart, in headless Chromium against the
 * real QoE API (beacons through the embedded log and the real consumer into chdb) and ingest's real
 * catalog list on a scratch PostgreSQL database (browser-stack.ts).
 *
 * One video. This period (a minute ago): two views, first frames at 500 and 900 ms, 20 s played
 * each, no stall. The period before (25 h ago, inside the 24 h before the page's last 24 h): one view,
 * first frame at 1,500 ms, 10 s played and a 1,000 ms stall. By hand:
 * - plays 2 against 1: +100.0 %, better;
 * - startup p50 700 ms (between 500 and 900, as the QoE API interpolates) against 1,500: −53.3 %, better;
 * - rebuffer ratio 0 against 1,000 / (1,000 + 10,000) = 9.09 %: −9.09 pts, better;
 * - watch time 40 s against 10 s: +300.0 %, better.
 */
import { insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import type { QoeTimeseriesResponse } from '@streamloop/core/schemas/qoe-api';
import { makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScreenshot, MINUTE_MS, poll, viewBeacons } from './beacon-pipeline.js';
import { type BrowserStack, openBrowserStack, playsOf } from './browser-stack.js';

const API_KEY = 'dashboards-overview-key-0123456789';
const AUTH = { authorization: `Bearer ${API_KEY}` };
const HOUR_MS = 60 * MINUTE_MS;
const logger = createLogger({ name: 'dashboards-overview-test', level: 'silent' });
const VIDEO = { id: uniqueName('overview-clip'), title: 'Overview clip' };

describe('overview in Chromium', () => {
  let stack: BrowserStack | undefined;
  let app: FastifyInstance;
  let page: Page;

  beforeAll(async () => {
    stack = await openBrowserStack({
      name: 'dashboards-overview',
      apiKey: API_KEY,
      logger,
      async seed({ catalog, pipeline }) {
        await insertVideo(catalog, { ...VIDEO, status: 'ready', ladder: makeLadderRecord() });
        const videoId = VIDEO.id;
        await pipeline.publish(
          [
            ...viewBeacons({ videoId, viewId: 'now-1', startupTimeMs: 500, playMs: 20_000 }),
            ...viewBeacons({ videoId, viewId: 'now-2', startupTimeMs: 900, playMs: 20_000 }),
          ],
          Date.now() - MINUTE_MS,
        );
        await pipeline.publish(
          viewBeacons({ videoId, viewId: 'before-1', startupTimeMs: 1_500, playMs: 10_000, stallMs: 1_000 }),
          Date.now() - 25 * HOUR_MS,
        );
      },
      ready: async (app) =>
        (await playsOf(app, API_KEY, VIDEO.id, `&from=${Date.now() - 48 * HOUR_MS}&to=${Date.now()}`)) === 3,
    });
    ({ app, page } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const status = () => page.locator('#status');
  const delta = (name: string) => page.locator(`[data-delta="${name}"]`);
  /** What the chart was given: [times in s, this period, the period before]. */
  const plotted = async () =>
    JSON.parse((await page.locator('#overview-chart').getAttribute('data-plot')) || '[]') as (
      | number
      | null
    )[][];
  const total = (values: (number | null)[] = []) => values.reduce<number>((sum, v) => sum + (v ?? 0), 0);

  it('shows each metric’s change against the 24 h before, marked better or worse', async () => {
    await page.goto(`${stack!.baseUrl}/dashboards/?videoId=${VIDEO.id}`);
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');

    expect(await page.locator('[data-metric="plays"]').textContent()).toBe('2');
    expect(await delta('plays').textContent()).toBe('+100.0 % vs the previous 24 h');
    expect(await delta('plays').getAttribute('data-direction')).toBe('better');
    expect(await page.locator('[data-metric="startup-p50"]').textContent()).toBe('700 ms');
    expect(await delta('startup-p50').textContent()).toBe('−53.3 % vs the previous 24 h');
    expect(await delta('startup-p50').getAttribute('data-direction')).toBe('better');
    expect(await delta('rebuffer-ratio').textContent()).toBe('−9.09 pts vs the previous 24 h');
    expect(await delta('watch-time').textContent()).toBe('+300.0 % vs the previous 24 h');
    // No fatal errors in either period: 0 % against 0 %.
    expect(await delta('start-failures').textContent()).toBe('no change from the period before');
  });

  it('charts the metric per bucket as the QoE API answers it, this period against the one before', async () => {
    await poll(async () => (await plotted()).length).toBe(3);
    const [times, now, before] = await plotted();
    // The page's range is whatever "last 24 h" was when it loaded: read it off the chart, then ask
    // the API for both periods with it.
    const fromMs = times![0]! * 1000;
    const ask = async (from: number) => {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/qoe/timeseries?videoId=${VIDEO.id}&interval=auto&from=${from}&to=${from + 24 * HOUR_MS}`,
        headers: AUTH,
      });
      return res.json<QoeTimeseriesResponse>().points;
    };
    const [thisPeriod, periodBefore] = await Promise.all([ask(fromMs), ask(fromMs - 24 * HOUR_MS)]);
    expect(times).toEqual(thisPeriod.map((point) => point.timeMs / 1000));
    expect(now).toEqual(thisPeriod.map((point) => point.plays));
    expect(before).toEqual(periodBefore.map((point) => point.plays));
    expect([total(now), total(before)]).toEqual([2, 1]);

    // Another metric redraws from the numbers already there, and the URL keeps it.
    await page.selectOption('#chart-metric', 'startup-p50');
    await poll(async () => (await plotted())[1]?.filter((v) => v !== null)).toEqual([700]);
    expect((await plotted())[2]?.filter((v) => v !== null)).toEqual([1_500]);
    expect(new URL(page.url()).searchParams.get('metric')).toBe('startup-p50');
    await page.reload();
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.inputValue('#chart-metric')).toBe('startup-p50');

    await keepScreenshot(page, 'dashboards-overview');
    expect(stack!.problems).toEqual([]);
  });

  it('keeps the range in the URL: a preset by name, a picked range by its ends, a bad one said and replaced', async () => {
    await page.click('button[data-range-hours="168"]');
    await poll(() => new URL(page.url()).searchParams.get('range')).toBe('7d');
    expect(new URL(page.url()).searchParams.get('from')).toBeNull();
    // Over 7 days all three views are in this period and none in the week before it.
    await poll(() => delta('plays').textContent()).toBe('nothing to compare with in the period before');
    expect(await page.locator('[data-metric="plays"]').textContent()).toBe('3');
    // The nav carries the range to the other pages.
    expect(
      new URL(
        (await page.locator('a[data-nav="breakdown"]').getAttribute('href'))!,
        page.url(),
      ).searchParams.get('range'),
    ).toBe('7d');

    // A range picked by hand travels as its two ends.
    const from = new Date(Date.now() - 2 * HOUR_MS);
    from.setUTCSeconds(0, 0);
    const to = new Date(from.getTime() + HOUR_MS * 2);
    await page.goto(
      `${stack!.baseUrl}/dashboards/?videoId=${VIDEO.id}&from=${from.toISOString()}&to=${to.toISOString()}`,
    );
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.locator('[data-metric="plays"]').textContent()).toBe('2');
    expect((await plotted())[0]?.[0]).toBe(from.getTime() / 1000);
    expect(new URL(page.url()).searchParams.get('from')).toBe(from.toISOString());

    // A range the page cannot read: said under the fields, and the last 24 h shown instead.
    await page.goto(`${stack!.baseUrl}/dashboards/?videoId=${VIDEO.id}&range=fortnight`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.locator('#range-problem').isVisible()).toBe(true);
    expect(await page.locator('#range-problem').textContent()).toContain(
      '"fortnight" is not one of 24h, 7d, 30d',
    );
    expect(await page.locator('[data-metric="plays"]').textContent()).toBe('2');
    expect(new URL(page.url()).searchParams.get('range')).toBe('24h');
    expect(stack!.problems).toEqual([]);
  });
});
