/**
 * `/dashboards/videos` in headless Chromium against the real routes (browser-stack.ts): ingest's
 * catalog list on a scratch PostgreSQL catalog and analytics' QoE routes on chdb fed through the
 * embedded event log and the real beacon consumer.
 *
 * The catalog: a ready public clip with 3 real plays a minute ago (one fails before its first frame:
 * 1 / 3 = 33.33 % start failures; first frames at 400 and 800 ms: startup p50 600 ms as the QoE API
 * interpolates); a ready signed clip (no Watch link: it needs a key to play); one processing at
 * 42 %; one that failed, with its reason.
 */
import { insertVideo, updateVideoStatus } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import type { QoeTopVideosResponse } from '@streamloop/core/schemas/qoe-api';
import { makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScreenshot, MINUTE_MS, poll, viewBeacons } from './beacon-pipeline.js';
import { type BrowserStack, openBrowserStack, playsOf } from './browser-stack.js';

const API_KEY = 'dashboards-videos-key-0123456789';
const logger = createLogger({ name: 'dashboards-videos-test', level: 'silent' });
const PUBLIC_CLIP = { id: uniqueName('public-clip'), title: 'Public clip' };
const SIGNED_CLIP = { id: uniqueName('signed-clip'), title: 'Signed clip' };
const PROCESSING = { id: uniqueName('processing'), title: 'Still encoding' };
const FAILED = { id: uniqueName('failed'), title: 'Broken upload' };
const FAILURE_REASON = 'the source has no video stream';

describe('videos page in Chromium', () => {
  let stack: BrowserStack | undefined;
  let app: FastifyInstance;
  let page: Page;

  beforeAll(async () => {
    stack = await openBrowserStack({
      name: 'dashboards-videos',
      apiKey: API_KEY,
      logger,
      async seed({ catalog, pipeline }) {
        const ladder = makeLadderRecord();
        await insertVideo(catalog, {
          ...PUBLIC_CLIP,
          status: 'ready',
          playbackPolicy: 'public',
          ladder,
          durationMs: 95_000,
        });
        await insertVideo(catalog, { ...SIGNED_CLIP, status: 'ready', playbackPolicy: 'signed', ladder });
        await insertVideo(catalog, { ...PROCESSING, status: 'uploaded' });
        await updateVideoStatus(catalog, PROCESSING.id, { status: 'processing', progressPercent: 42 });
        await insertVideo(catalog, { ...FAILED, status: 'uploaded' });
        await updateVideoStatus(catalog, FAILED.id, { status: 'processing' });
        await updateVideoStatus(catalog, FAILED.id, { status: 'failed', error: FAILURE_REASON });
        const videoId = PUBLIC_CLIP.id;
        await pipeline.publish(
          [
            ...viewBeacons({ videoId, viewId: 'v1', startupTimeMs: 400 }),
            ...viewBeacons({ videoId, viewId: 'v2', startupTimeMs: 800 }),
            ...viewBeacons({ videoId, viewId: 'v3', startupTimeMs: 'fails' }),
          ],
          Date.now() - MINUTE_MS,
        );
      },
      ready: async (app) => (await playsOf(app, API_KEY, PUBLIC_CLIP.id)) === 3,
    });
    ({ app, page } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const status = () => page.locator('#status');
  const row = (videoId: string) => page.locator(`#videos-rows tr[data-video-id="${videoId}"]`);
  const column = (videoId: string, name: string) => row(videoId).locator(`td[data-column="${name}"]`);

  it('lists the catalog with each video’s status and its QoE numbers, as the APIs answer them', async () => {
    await page.goto(`${stack!.baseUrl}/dashboards/videos`);
    await poll(() => status().getAttribute('data-state')).toBe('need-key');
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    await poll(() => page.locator('#videos-rows tr').count()).toBe(4);

    expect(await column(PUBLIC_CLIP.id, 'status').textContent()).toBe('Ready');
    expect(await column(PUBLIC_CLIP.id, 'duration').textContent()).toBe('1 min 35 s');
    expect(await column(PUBLIC_CLIP.id, 'plays').textContent()).toBe('3');
    expect(await column(PUBLIC_CLIP.id, 'viewers').textContent()).toBe('3');
    expect(await column(PUBLIC_CLIP.id, 'start-failures').textContent()).toBe('33.33 %');
    expect(await column(PUBLIC_CLIP.id, 'startup').textContent()).toBe('600 ms');
    // The score is the QoE API's own number for the video over the page's range.
    const top = await app.inject({
      method: 'GET',
      url: '/api/v1/qoe/top-videos?limit=1000',
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    const score = top.json<QoeTopVideosResponse>().videos.find((v) => v.videoId === PUBLIC_CLIP.id)?.qoeScore;
    expect(score).toEqual(expect.any(Number));
    expect(await column(PUBLIC_CLIP.id, 'qoe-score').textContent()).toBe(score!.toFixed(1));

    expect(await column(PROCESSING.id, 'status').textContent()).toBe('Processing 42 %');
    expect(await column(FAILED.id, 'status').textContent()).toBe('Failed');
    expect(await column(FAILED.id, 'status').getAttribute('title')).toBe(FAILURE_REASON);
    // Nothing played but the public clip: zero plays and no score rather than made-up numbers.
    expect(await column(SIGNED_CLIP.id, 'plays').textContent()).toBe('0');
    expect(await column(SIGNED_CLIP.id, 'qoe-score').textContent()).toBe('—');

    await keepScreenshot(page, 'dashboards-videos');
    expect(stack!.problems).toEqual([]);
  });

  it('links a ready public video to its watch page, and every video to its overview', async () => {
    const watch = row(PUBLIC_CLIP.id).getByRole('link', { name: `Watch ${PUBLIC_CLIP.title}` });
    expect(await watch.getAttribute('href')).toBe(`/watch/${PUBLIC_CLIP.id}`);
    expect(
      await row(SIGNED_CLIP.id)
        .getByRole('link', { name: /^Watch/ })
        .count(),
    ).toBe(0);
    expect(
      await row(PROCESSING.id)
        .getByRole('link', { name: /^Watch/ })
        .count(),
    ).toBe(0);

    await row(SIGNED_CLIP.id).getByRole('link', { name: SIGNED_CLIP.title }).click();
    await page.waitForURL(/\/dashboards\/\?/);
    expect(new URL(page.url()).searchParams.get('videoId')).toBe(SIGNED_CLIP.id);
  });
});
