/**
 * Issue 15's privacy floor as a person sees it, in headless Chromium against the real QoE API at the
 * production default k = 5 (browser-stack.ts): cells and rungs of fewer viewers are listed without
 * numbers ("< 5 viewers"), a views list of fewer viewers is hidden whole, and the views page needs a
 * key with the 'analytics-views' scope. By hand, a minute ago:
 * - Chrome: five viewers, each 10 s on 720p @ 3,000 kbit/s; c5 stalls 2,000 ms;
 * - Safari: one viewer, 10 s on 360p @ 800 kbit/s.
 * Views worst first: c5's score is startup 1 (500 ms), smoothness 1 − (2,000 / 12,000) / 0.1 < 0 → 0,
 * reliability 1, quality 1: 0.3 + 0 + 0.3 + 0.1 = 70.0; every other view 100.0.
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import { makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScreenshot, MINUTE_MS, poll, viewBeacons } from './beacon-pipeline.js';
import { type BrowserStack, openBrowserStack, playsOf } from './browser-stack.js';

const API_KEY = 'dashboards-privacy-key-0123456789';
const logger = createLogger({ name: 'dashboards-privacy-test', level: 'silent' });
const VIDEO = { id: uniqueName('privacy-clip'), title: 'Privacy clip' };

describe('the privacy floor in Chromium', () => {
  let stack: BrowserStack | undefined;
  let page: Page;
  let readOnlyKey = '';

  beforeAll(async () => {
    stack = await openBrowserStack({
      name: 'dashboards-privacy',
      apiKey: API_KEY,
      logger,
      privacyMinViewers: 'production default',
      async seed({ catalog, pipeline }) {
        await insertVideo(catalog, { ...VIDEO, status: 'ready', ladder: makeLadderRecord() });
        readOnlyKey = (await createApiKey(catalog, { owner: 'product-team', scopes: ['analytics-read'] }))
          .key;
        const at = Date.now() - MINUTE_MS;
        const played = (viewId: string, rung: { bitrateKbps: number; height: number }, stallMs?: number) =>
          viewBeacons({
            videoId: VIDEO.id,
            viewId,
            startupTimeMs: 500,
            playMs: 10_000,
            marks: rung,
            ...(stallMs ? { stallMs } : {}),
          });
        const hd = { bitrateKbps: 3000, height: 720 };
        await pipeline.publish(
          ['c1', 'c2', 'c3', 'c4'].flatMap((id) => played(id, hd)).concat(played('c5', hd, 2_000)),
          at,
          { browser: 'Chrome' },
        );
        await pipeline.publish(played('s1', { bitrateKbps: 800, height: 360 }), at, { browser: 'Safari' });
      },
      ready: async (app) => (await playsOf(app, API_KEY, VIDEO.id)) === 6,
    });
    ({ page } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const status = () => page.locator('#status');
  const rowTexts = (rows: string) =>
    page
      .locator(rows)
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')),
      );
  const open = async (path: string, key = API_KEY) => {
    await page.goto(`${stack!.baseUrl}/dashboards/${path}`);
    await page.fill('#api-key', key);
    await page.click('#key-save');
  };

  it('lists a browser of one viewer without its numbers, and keeps the browser of five', async () => {
    await open(`breakdown?videoId=${VIDEO.id}&dimension=browser`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    const rows = await rowTexts('#breakdown-rows tr');
    expect(rows.map((cells) => cells[0])).toEqual(['Chrome', 'Safari']);
    expect(rows[0]?.[4]).toBe('5'); // Chrome's viewers
    expect(rows[1]).toEqual(['Safari', '< 5 viewers']);
    expect(await page.locator('#breakdown-rows tr[data-suppressed="true"]').getAttribute('data-value')).toBe(
      'Safari',
    );
    // A withheld value is no filter to click.
    expect(await page.getByRole('button', { name: 'Show only browser Safari' }).count()).toBe(0);
    expect(await status().textContent()).toContain('1 hidden (fewer than 5 viewers each)');
    await keepScreenshot(page, 'dashboards-breakdown-privacy-floor');
  });

  it('lists the rung only one viewer played without its numbers', async () => {
    await open(`renditions?videoId=${VIDEO.id}`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    const rows = await rowTexts('#rungs-rows tr');
    expect(rows.map((cells) => cells[0])).toEqual(['720p · 3.00 Mbit/s', '360p@800kbps']);
    expect(rows[0]?.[1]).toBe('5');
    expect(rows[1]).toEqual(['360p@800kbps', '< 5 viewers']);
  });

  it('lists the views worst first, and hides the list a filter narrows to one viewer', async () => {
    await open(`sessions?videoId=${VIDEO.id}`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    const ids = await page
      .locator('#sessions-rows tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-view-id')));
    expect(ids[0]).toBe('c5');
    expect([...ids].sort()).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 's1']);
    const scores = await page.locator('#sessions-rows td[data-column="qoe"]').allTextContents();
    expect(scores).toEqual(['70.0', '100.0', '100.0', '100.0', '100.0', '100.0']);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('worst');

    await page.goto(`${stack!.baseUrl}/dashboards/sessions?videoId=${VIDEO.id}&browser=Safari`);
    await poll(() => status().getAttribute('data-state')).toBe('empty');
    expect(await status().textContent()).toContain('Fewer than 5 viewers match');
    expect(await page.locator('#sessions-rows tr[data-view-id]').count()).toBe(0);
  });

  it('tells a person whose key reads aggregates only that the views need the analytics-views scope', async () => {
    await open(`sessions?videoId=${VIDEO.id}`, readOnlyKey);
    await poll(() => status().getAttribute('data-state')).toBe('error');
    expect(await status().textContent()).toContain("lacks the 'analytics-views' scope");
    expect(await page.locator('#sessions-rows tr[data-view-id]').count()).toBe(0);
    // The same key still sees the aggregates.
    await open(`breakdown?videoId=${VIDEO.id}&dimension=browser`, readOnlyKey);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
  });
});
