/**
 * What each rung and ladder delivered and cost, in headless Chromium against the real QoE API
 * (browser-stack.ts), at a price of US$20 per GB given in the link. By hand, a minute ago:
 * - view A on ladder "default": 10 s played at 1,200 kbit/s, 360p → 1,200 × 10 / 8 = 1,500 kB =
 *   1.50 MB, × 20 $/GB = $0.0300; a third of the play time (10 of 30 s): 33.3 %;
 * - view B on ladder "pt-abc": 20 s at 3,000 kbit/s, 720p → 7,500 kB = 7.50 MB, $0.1500; 66.7 %;
 *   5 of its 20 s shown upscaled: 25.0 %.
 * At $40 per GB, B costs $0.3000.
 * Each rung's QoE (docs/metrics.md): both views start in 500 ms (startup 1), never stall (smoothness 1)
 * nor fail (reliability 1); quality is 1 − upscaled share: A 1 → 100.0, B 0.75 → 0.9 + 0.075 = 97.5.
 */
import { insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { makeBeacon, makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScreenshot, MINUTE_MS, poll } from './beacon-pipeline.js';
import { type BrowserStack, openBrowserStack } from './browser-stack.js';

const API_KEY = 'dashboards-renditions-key-0123456789';
const logger = createLogger({ name: 'dashboards-renditions-test', level: 'silent' });
const VIDEO = { id: uniqueName('renditions-clip'), title: 'Renditions clip' };

function view(
  viewId: string,
  ladderId: string,
  bitrateKbps: number,
  height: number,
  playMs: number,
  upscaleTimeMs = 0,
): Beacon[] {
  const common = {
    videoId: VIDEO.id,
    viewId,
    viewerId: `viewer-${viewId}`,
    sessionId: `session-${viewId}`,
    ladderId,
  };
  return [
    makeBeacon({ ...common, seq: 0, monotonicMs: 0, event: 'viewstart' }),
    makeBeacon({ ...common, seq: 1, monotonicMs: 100, event: 'playrequest' }),
    makeBeacon({ ...common, seq: 2, monotonicMs: 600, event: 'firstframe', startupTimeMs: 500 }),
    makeBeacon({
      ...common,
      seq: 3,
      monotonicMs: 600 + playMs,
      event: 'heartbeat',
      bitrateKbps,
      height,
      width: Math.round((height * 16) / 9),
      watchTimeMs: playMs,
      playTimeMs: playMs,
      upscaleTimeMs,
    }),
  ];
}

describe('renditions in Chromium', () => {
  let stack: BrowserStack | undefined;
  let page: Page;

  beforeAll(async () => {
    stack = await openBrowserStack({
      name: 'dashboards-renditions',
      apiKey: API_KEY,
      logger,
      async seed({ catalog, pipeline }) {
        await insertVideo(catalog, { ...VIDEO, status: 'ready', ladder: makeLadderRecord() });
        await pipeline.publish(
          [...view('a', 'default', 1_200, 360, 10_000), ...view('b', 'pt-abc', 3_000, 720, 20_000, 5_000)],
          Date.now() - MINUTE_MS,
        );
      },
      ready: async (app) => {
        const res = await app.inject({
          method: 'GET',
          url: `/api/v1/qoe/renditions?videoId=${VIDEO.id}`,
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        return res.json<{ renditions: unknown[] }>().renditions.length === 2;
      },
    });
    ({ page } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const status = () => page.locator('#status');
  const texts = (rows: string) =>
    page
      .locator(rows)
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));

  it('costs each rung and each ladder at the price in the link, next to its viewers’ QoE', async () => {
    await page.goto(`${stack!.baseUrl}/dashboards/renditions?videoId=${VIDEO.id}&usdPerGb=20`);
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await texts('#rungs-rows tr')).toEqual([
      // rung, viewers, play time, share, upscaled, QoE, startup, rebuffer ratio, playback failures, bytes, cost
      [
        '720p · 3.00 Mbit/s',
        '1',
        '20 s',
        '66.7 %',
        '25.0 %',
        '97.5',
        '500 ms',
        '0.00 %',
        '0.0 %',
        '7.50 MB',
        '$0.1500',
      ],
      [
        '360p · 1.20 Mbit/s',
        '1',
        '10 s',
        '33.3 %',
        '0.0 %',
        '100.0',
        '500 ms',
        '0.00 %',
        '0.0 %',
        '1.50 MB',
        '$0.0300',
      ],
    ]);
    const ladders = Object.fromEntries(
      (await texts('#ladders-rows tr')).map((cells) => [cells[0], cells.slice(1)]),
    );
    expect(ladders).toEqual({
      default: ['1', '1.20 Mbit/s', '10 s', '1.50 MB', '$0.0300', '500 ms', '0.00 %'],
      'pt-abc': ['1', '3.00 Mbit/s', '20 s', '7.50 MB', '$0.1500', '500 ms', '0.00 %'],
    });

    // Another price re-costs what is on screen and goes into the link.
    await page.fill('#usd-per-gb', '40');
    await page.locator('#usd-per-gb').dispatchEvent('change');
    await poll(() =>
      page.locator('#rungs-rows tr[data-rendition^="720p"] td[data-column="cost"]').textContent(),
    ).toBe('$0.3000');
    expect(new URL(page.url()).searchParams.get('usdPerGb')).toBe('40');
    await keepScreenshot(page, 'dashboards-renditions');
    expect(stack!.problems).toEqual([]);
  });
});
