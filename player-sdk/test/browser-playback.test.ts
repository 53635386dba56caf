/**
 * The script-tag bundle in Debian's Chromium: plays an HLS clip and delivers beacons to a collector
 * route, through the page's life and its close.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually } from '@streamloop/core/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBundleBuilt,
  launchChromium,
  makeHlsClip,
  type ReceivedRequest,
  scriptTagPage,
  startPageServer,
} from './browser-fixture.js';
import { validateBeacon } from './helpers.js';

const VIDEO_ID = 'browser-test-01';

// The batch interval is shortened so the first batch arrives well before the 8 s clip ends;
// batching rules themselves are pinned by the unit tests.
const PAGE = scriptTagPage({
  videoId: VIDEO_ID,
  playbackUrl: '/hls/master.m3u8',
  collectorUrl: '/v1/beacons',
  playerOptions: { autoplay: 'muted', muted: true },
  transport: { flushIntervalMs: 1000 },
});

const beaconsOf = (received: ReceivedRequest[]): Beacon[] => received.flatMap((r) => r.beacons);

describe('script-tag bundle in Chromium (Debian /usr/bin/chromium)', () => {
  let browser: Browser;
  let clip: Awaited<ReturnType<typeof makeHlsClip>>;
  let server: Awaited<ReturnType<typeof startPageServer>>;

  beforeAll(async () => {
    assertBundleBuilt();
    clip = await makeHlsClip();
    server = await startPageServer({ page: PAGE, hlsDir: clip.dir });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await clip?.cleanup();
  });

  it('plays the clip and reports the view from start to page close', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    await page.goto(server.url);
    const firstFrame = await eventually(
      `a firstframe beacon (page errors: ${pageErrors.join('; ') || 'none'})`,
      () => beaconsOf(server.received).find((b) => b.event === 'firstframe'),
    );
    expect(await page.evaluate(() => document.querySelector('video')?.paused)).toBe(false);
    const deliveredBeforeClose = server.received.length;

    await page.close();
    const viewEnd = await eventually('a viewend beacon after the page closed', () =>
      server.received
        .slice(deliveredBeforeClose)
        .flatMap((r) => r.beacons)
        .find((b) => b.event === 'viewend'),
    );

    const beacons = beaconsOf(server.received);
    const events = beacons.map((b) => b.event);
    expect(events[0]).toBe('viewstart');
    expect(events.indexOf('playrequest')).toBeGreaterThan(0);
    expect(events.indexOf('firstframe')).toBeGreaterThan(events.indexOf('playrequest'));
    // How long startup takes is bench/'s business (`npm run bench:sdk -w bench`); here: it is reported.
    expect(firstFrame.startupTimeMs).toBeGreaterThan(0);
    expect(viewEnd.playheadMs).toBeGreaterThan(0);

    // VHS's rendition, as the master playlist describes it.
    expect(beacons.find((b) => b.event === 'renditionchange')).toMatchObject({ width: 640, height: 360 });

    // One view; every beacon valid for the collector; seq strictly increasing within each request
    // and, over the whole view, 0..n-1 with no gap or repeat.
    expect(new Set(beacons.map((b) => `${b.sessionId}/${b.viewId}/${b.videoId}`)).size).toBe(1);
    for (const beacon of beacons) expect(validateBeacon(beacon).ok).toBe(true);
    for (const request of server.received) {
      const seqs = request.beacons.map((b) => b.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(request.contentType.startsWith('text/plain')).toBe(true);
    }
    expect(beacons.map((b) => b.seq).sort((a, b) => a - b)).toEqual(beacons.map((_, i) => i));
    expect(pageErrors).toEqual([]);
  });
});
