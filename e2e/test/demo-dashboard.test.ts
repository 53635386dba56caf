/**
 * `npm start` on a fresh data directory (STREAMLOOP_DEMO=1, the default): the stack makes its demo
 * video and plays a small simulated audience on it, so the dashboards a newcomer opens are not empty
 * — and say that those viewers are simulated. Issue 11's acceptance: a non-empty dashboard for the
 * demo video within 2 minutes of the start, marked synthetic, while real viewers stay at zero.
 */
import type { QoeOverviewResponse } from '@streamloop/core/schemas/qoe-api';
import { eventually } from '@streamloop/core/testing';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { entryOf, processEnv, SHARED_SECRETS } from './processes.js';

const apiKey = SHARED_SECRETS.STREAMLOOP_API_KEY;
// The promise to a newcomer, counted from the moment the process was started.
const NEWCOMER_PATIENCE_MS = 120_000;

let stack: RunningProcess;
let browser: Browser;
let startedAt: number;

beforeAll(async () => {
  startedAt = Date.now();
  [stack, browser] = await Promise.all([
    startProcess(entryOf('stack'), processEnv({ ...SHARED_SECRETS, STREAMLOOP_DEMO: '1' })),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const overview = async (videoId: string, scope: string): Promise<QoeOverviewResponse> => {
  const res = await fetch(`${stack.baseUrl}/api/v1/qoe/overview?videoId=${videoId}&synthetic=${scope}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as QoeOverviewResponse;
};

describe('npm start: the demo video has a simulated audience on the dashboards', () => {
  it('offers the simulated viewers on the empty real page within 2 minutes, and marks every number synthetic', async () => {
    const videoId = await eventually(
      'the demo video line on stdout',
      async () => /\/watch\/([A-Za-z0-9_-]+)/.exec(stack.output())?.[1],
      { timeoutMs: NEWCOMER_PATIENCE_MS, intervalMs: 250 },
    );
    const page = await browser.newPage();
    await page.addInitScript((key) => sessionStorage.setItem('streamloop.apiKey', key), apiKey);
    const hint = page.locator('#synthetic-hint');
    // What a newcomer does: open the link the stack printed, and look again while the demo plays.
    await eventually(
      'the dashboards to offer the demo’s simulated viewers',
      async () => {
        await page.goto(`${stack.baseUrl}/dashboards/?videoId=${videoId}`);
        await page.waitForFunction(() => {
          const state = document.querySelector('#synthetic-hint')?.getAttribute('data-state');
          return state === 'offered' || state === 'none';
        });
        return (await hint.getAttribute('data-state')) === 'offered' ? true : undefined;
      },
      { timeoutMs: Math.max(1000, NEWCOMER_PATIENCE_MS - (Date.now() - startedAt)), intervalMs: 2000 },
    );
    expect(Number(await hint.getAttribute('data-plays'))).toBeGreaterThan(0);
    // Real viewers: none — the simulated audience never passes for people.
    expect(await page.locator('#status').getAttribute('data-state')).toBe('empty');
    expect(await page.locator('#synthetic-banner').isHidden()).toBe(true);

    await page.click('#show-synthetic');
    await page.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-state') === 'ready');
    expect(page.url()).toContain('synthetic=synthetic');
    const banner = page.locator('#synthetic-banner');
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.getAttribute('data-scope')).toBe('synthetic');
    expect(await banner.textContent()).toMatch(/simulated/i);
    const plays = Number(await page.locator('[data-metric="plays"]').getAttribute('data-value'));
    expect(plays).toBeGreaterThan(0);

    // The API agrees with the page: the plays are synthetic ones, and real viewers have none.
    const [real, synthetic] = await Promise.all([overview(videoId, 'real'), overview(videoId, 'synthetic')]);
    expect(real.plays).toBe(0);
    expect(synthetic.synthetic).toBe('synthetic');
    expect(synthetic.plays).toBeGreaterThanOrEqual(plays);
    await page.close();
  });
});
