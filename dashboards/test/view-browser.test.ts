/**
 * One view's timeline, opened from the sessions list, in headless Chromium against the real QoE API
 * (browser-stack.ts). The session, in the player's clock (ms since its first beacon): view start 0,
 * play asked 100, first frame 700 (startup 600 ms, at 1,500 kbit/s), a heartbeat at 10,700 on
 * 1,500, a switch to 3,000 kbit/s (720p) at 12,000, a stall at 15,000 that ends at 16,200 (1,200 ms),
 * a heartbeat at 20,000 on 3,000, a non-fatal error at 21,000, view end at 22,000. Shown in seconds
 * with one decimal, every row by hand below.
 */
import { insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { makeBeacon, makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScreenshot, MINUTE_MS, poll } from './beacon-pipeline.js';
import { type BrowserStack, openBrowserStack } from './browser-stack.js';

const API_KEY = 'dashboards-view-key-0123456789';
const logger = createLogger({ name: 'dashboards-view-test', level: 'silent' });
const VIDEO = { id: uniqueName('view-clip'), title: 'View clip' };
const SESSION = uniqueName('session');

function session(): Beacon[] {
  const common = {
    videoId: VIDEO.id,
    viewId: `${SESSION}-view`,
    viewerId: 'viewer-timeline',
    sessionId: SESSION,
  };
  const at = (seq: number, monotonicMs: number, event: Beacon['event'], extra: Partial<Beacon> = {}) =>
    makeBeacon({ ...common, seq, monotonicMs: 5_000 + monotonicMs, event, ...extra });
  return [
    at(0, 0, 'viewstart'),
    at(1, 100, 'playrequest'),
    at(2, 700, 'firstframe', { startupTimeMs: 600, bitrateKbps: 1_500 }),
    at(3, 10_700, 'heartbeat', { bitrateKbps: 1_500, watchTimeMs: 10_000, playTimeMs: 10_000 }),
    at(4, 12_000, 'renditionchange', {
      fromBitrateKbps: 1_500,
      bitrateKbps: 3_000,
      height: 720,
      switchReason: 'bandwidth',
    }),
    at(5, 15_000, 'rebufferstart'),
    at(6, 16_200, 'rebufferend', { rebufferDurationMs: 1_200 }),
    at(7, 20_000, 'heartbeat', { bitrateKbps: 3_000, watchTimeMs: 9_300, playTimeMs: 8_100 }),
    at(8, 21_000, 'error', {
      errorCode: 'MEDIA_ERR_NETWORK',
      errorMessage: 'segment 9 timed out',
      fatal: false,
    }),
    at(9, 22_000, 'viewend'),
  ];
}

describe('one view’s timeline in Chromium', () => {
  let stack: BrowserStack | undefined;
  let page: Page;

  beforeAll(async () => {
    stack = await openBrowserStack({
      name: 'dashboards-view',
      apiKey: API_KEY,
      logger,
      async seed({ catalog, pipeline }) {
        await insertVideo(catalog, { ...VIDEO, status: 'ready', ladder: makeLadderRecord() });
        await pipeline.publish(session(), Date.now() - MINUTE_MS, {
          browser: 'Firefox',
          os: 'Linux',
          deviceClass: 'desktop',
        });
      },
      ready: async (app) => {
        const res = await app.inject({
          method: 'GET',
          url: `/api/v1/qoe/sessions/${SESSION}/beacons`,
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        return res.statusCode === 200 && res.json<{ beacons: unknown[] }>().beacons.length === 10;
      },
    });
    ({ page } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const status = () => page.locator('#status');

  it('opens from the sessions list and shows what happened, in order, with the player’s context', async () => {
    await page.goto(`${stack!.baseUrl}/dashboards/sessions?videoId=${VIDEO.id}`);
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    await page.getByRole('link', { name: /^Timeline of the view of viewer-timeline/ }).click();
    await page.waitForURL(/\/dashboards\/view\?/);
    expect(new URL(page.url()).searchParams.get('sessionId')).toBe(SESSION);
    await poll(() => status().getAttribute('data-state')).toBe('ready');

    const rows = await page
      .locator('#view-events-rows tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual([
      ['0.0 s', 'View started', ''],
      ['0.1 s', 'Play asked', ''],
      ['0.7 s', 'First frame', 'startup 600 ms'],
      ['12.0 s', 'Rendition switch', '1500 → 3000 kbit/s (720p), bandwidth'],
      ['15.0 s', 'Stall', 'playback stopped to buffer'],
      ['16.2 s', 'Stall ended', 'stalled 1200 ms'],
      ['21.0 s', 'Error', 'MEDIA_ERR_NETWORK: segment 9 timed out'],
      ['22.0 s', 'View ended', ''],
    ]);
    expect(await page.locator('[data-fact="device"]').textContent()).toBe('Firefox · Linux · desktop');
    expect(await page.locator('[data-fact="video"]').textContent()).toBe(VIDEO.id);

    // The bitrate line: each beacon that states the rung, at its second.
    const plot = JSON.parse((await page.locator('#view-chart').getAttribute('data-plot')) ?? '[]');
    expect(plot).toEqual([
      [0.7, 10.7, 12, 20],
      [1_500, 1_500, 3_000, 3_000],
    ]);
    await keepScreenshot(page, 'dashboards-view-timeline');
    expect(stack!.problems).toEqual([]);
  });

  it('says what to do when no session is picked', async () => {
    await page.goto(`${stack!.baseUrl}/dashboards/view`);
    await poll(() => status().getAttribute('data-state')).toBe('error');
    expect(await status().textContent()).toContain('open a view from the Sessions page');
  });
});
