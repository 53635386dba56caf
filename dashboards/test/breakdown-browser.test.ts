/**
 * The breakdown sorted by impact, and a row clicked narrowing every page to it (on its page and under
 * the overview's cards), in headless Chromium against the real QoE API and ingest's catalog list
 * (browser-stack.ts). The browser comes from the request context the collector adds (as it parses the
 * User-Agent).
 *
 * One video, a minute ago, by hand:
 * - Chrome: 3 plays, one stalls 3,000 ms;
 * - Firefox: 2 plays, one stalls 1,000 ms, one fails before its first frame (50 % start failures);
 * - Safari: 1 play, clean.
 * Impact on stall time: 3,000 / 4,000 = 75.0 % Chrome, 25.0 % Firefox, 0.0 % Safari.
 * Impact on start failures: Firefox 2 × 50 % = 1 failure of 1: 100.0 %; then Chrome (3 plays) and
 * Safari (1 play) at 0.0 %.
 */
import { insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import { makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScreenshot, MINUTE_MS, poll, viewBeacons } from './beacon-pipeline.js';
import { type BrowserStack, openBrowserStack, playsOf } from './browser-stack.js';

const API_KEY = 'dashboards-breakdown-key-0123456789';
const logger = createLogger({ name: 'dashboards-breakdown-test', level: 'silent' });
const VIDEO = { id: uniqueName('breakdown-clip'), title: 'Breakdown clip' };

describe('breakdown in Chromium', () => {
  let stack: BrowserStack | undefined;
  let page: Page;

  beforeAll(async () => {
    stack = await openBrowserStack({
      name: 'dashboards-breakdown',
      apiKey: API_KEY,
      logger,
      async seed({ catalog, pipeline }) {
        await insertVideo(catalog, { ...VIDEO, status: 'ready', ladder: makeLadderRecord() });
        const videoId = VIDEO.id;
        const at = Date.now() - MINUTE_MS;
        const played = (viewId: string, stallMs?: number) =>
          viewBeacons({
            videoId,
            viewId,
            startupTimeMs: 500,
            playMs: 10_000,
            ...(stallMs ? { stallMs } : {}),
          });
        await pipeline.publish([...played('c1'), ...played('c2', 3_000), ...played('c3')], at, {
          browser: 'Chrome',
        });
        await pipeline.publish(
          [...played('f1', 1_000), ...viewBeacons({ videoId, viewId: 'f2', startupTimeMs: 'fails' })],
          at,
          { browser: 'Firefox' },
        );
        await pipeline.publish(played('s1'), at, { browser: 'Safari' });
      },
      ready: async (app) => (await playsOf(app, API_KEY, VIDEO.id)) === 6,
    });
    ({ page } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const status = () => page.locator('#status');
  const order = () =>
    page
      .locator('#breakdown-rows tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-value')));
  const impactOf = (value: string) =>
    page.locator(`#breakdown-rows tr[data-value="${value}"] td[data-column="impact"]`).textContent();

  it('puts the row that causes most of the picked badness on top', async () => {
    await page.goto(`${stack!.baseUrl}/dashboards/breakdown?videoId=${VIDEO.id}&dimension=browser`);
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await order()).toEqual(['Chrome', 'Firefox', 'Safari']);
    expect([await impactOf('Chrome'), await impactOf('Firefox'), await impactOf('Safari')]).toEqual([
      '75.0 %',
      '25.0 %',
      '0.0 %',
    ]);
    await keepScreenshot(page, 'dashboards-breakdown');

    await page.selectOption('#impact', 'start-failures');
    await poll(order).toEqual(['Firefox', 'Chrome', 'Safari']);
    expect(await impactOf('Firefox')).toBe('100.0 %');
    expect(new URL(page.url()).searchParams.get('impact')).toBe('start-failures');
  });

  it('narrows every number to a row clicked, carries it to the other pages, and lets it go', async () => {
    await page.getByRole('button', { name: 'Show only browser Firefox' }).click();
    await poll(order).toEqual(['Firefox']);
    expect(new URL(page.url()).searchParams.get('browser')).toBe('Firefox');
    const chip = page.getByRole('button', { name: 'Remove the filter browser = Firefox' });
    expect(await chip.isVisible()).toBe(true);

    // Another dimension under the filter: Firefox's 2 plays, all of one video.
    await page.selectOption('#dimension', 'videoId');
    await poll(order).toEqual([VIDEO.id]);
    expect(
      await page
        .locator(`#breakdown-rows tr[data-value="${VIDEO.id}"] td[data-column="plays"]`)
        .textContent(),
    ).toBe('2');

    // The overview, through the nav, counts Firefox only.
    await page.click('a[data-nav="overview"]');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.locator('[data-metric="plays"]').textContent()).toBe('2');
    expect(new URL(page.url()).searchParams.get('browser')).toBe('Firefox');

    // Through a page that uses neither (live), the filter and the range still travel on.
    await page.click('a[data-nav="live"]');
    await page.waitForURL(/\/dashboards\/live/);
    const back = new URL((await page.locator('a[data-nav="overview"]').getAttribute('href'))!, page.url());
    expect([back.searchParams.get('browser'), back.searchParams.get('range')]).toEqual(['Firefox', '24h']);
    await page.click('a[data-nav="overview"]');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.locator('[data-metric="plays"]').textContent()).toBe('2');

    await page.getByRole('button', { name: 'Remove the filter browser = Firefox' }).click();
    await poll(() => page.locator('[data-metric="plays"]').textContent()).toBe('6');
    expect(new URL(page.url()).searchParams.get('browser')).toBeNull();

    // The same table sits under the overview's cards: a row clicked there narrows the cards at once.
    await poll(order).toEqual(['Chrome', 'Firefox', 'Safari']);
    await page.getByRole('button', { name: 'Show only browser Chrome' }).click();
    await poll(() => page.locator('[data-metric="plays"]').textContent()).toBe('3');
    expect(await order()).toEqual(['Chrome']);
    expect(new URL(page.url()).searchParams.get('browser')).toBe('Chrome');
    expect(stack!.problems).toEqual([]);
  });
});
