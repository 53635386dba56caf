/**
 * The start-rung hint reaches VHS (issue 14): the script-tag bundle in Debian's Chromium plays a
 * 3-rung ladder made with ffmpeg, and the rung of the FIRST media segment the page requests —
 * read from the browser's own network events, not from the SDK — follows the hint the playback API
 * answered. The API is a stand-in on the page's origin answering what delivery answers
 * (`startBitrateKbps`, pinned by delivery's start-hint.test.ts), as browser-restricted.test.ts does.
 *
 * Expected rungs come from the master playlist's BANDWIDTH values and VHS's documented rule
 * (FACTS.md): the highest rung whose BANDWIDTH × 1.2 is below the estimate, else the lowest. Without
 * a hint, Chromium's estimate is `navigator.connection.downlink` (VHS's default
 * `useNetworkInformationApi`), read from the page itself.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '@streamloop/core/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBundleBuilt,
  launchChromium,
  makeHlsLadder,
  scriptTagPage,
  startPageServer,
} from './browser-fixture.js';

const VIDEO_ID = 'start-hint-01';
const SEGMENT = /\/hls\/r(\d)_\d+\.ts$/;
const BANDWIDTH_VARIANCE = 1.2;

/** The rungs' BANDWIDTH, bit/s, by rung number (`r<n>.m3u8`), from the master playlist ffmpeg wrote. */
async function rungBandwidths(dir: string): Promise<number[]> {
  const master = await readFile(path.join(dir, 'master.m3u8'), 'utf8');
  const lines = master.split('\n');
  const rungs: number[] = [];
  lines.forEach((line, i) => {
    const bandwidth = /BANDWIDTH=(\d+)/.exec(line)?.[1];
    const rung = /^r(\d)\.m3u8$/.exec(lines[i + 1]?.trim() ?? '')?.[1];
    if (bandwidth !== undefined && rung !== undefined) rungs[Number(rung)] = Number(bandwidth);
  });
  return rungs;
}

/** VHS's choice for an estimate (FACTS.md; all rungs fit the 640×360 player). */
function rungVhsPicks(bandwidths: number[], estimateBps: number): number {
  const fitting = bandwidths
    .map((bandwidth, rung) => ({ bandwidth, rung }))
    .filter(({ bandwidth }) => bandwidth * BANDWIDTH_VARIANCE < estimateBps)
    .sort((a, b) => a.bandwidth - b.bandwidth);
  const lowest = bandwidths.indexOf(Math.min(...bandwidths));
  return fitting.at(-1)?.rung ?? lowest;
}

/** Chromium's `navigator.connection.downlink` in the page, bit/s; undefined in a browser without it. */
async function downlinkBps(page: Page): Promise<number | undefined> {
  const mbps = await page.evaluate(
    () => (navigator as Navigator & { connection?: { downlink: number } }).connection?.downlink,
  );
  return mbps === undefined ? undefined : mbps * 1e6;
}

/** VHS's first estimate with its defaults: the downlink where the browser has one, else INITIAL_BANDWIDTH. */
const defaultEstimateBps = async (page: Page) => (await downlinkBps(page)) ?? 4_194_304;

describe('the start-rung hint in Chromium (Debian /usr/bin/chromium)', () => {
  let browser: Browser;
  let ladder: Awaited<ReturnType<typeof makeHlsLadder>>;
  let bandwidths: number[];
  const servers: Awaited<ReturnType<typeof startPageServer>>[] = [];

  beforeAll(async () => {
    assertBundleBuilt();
    ladder = await makeHlsLadder();
    bandwidths = await rungBandwidths(ladder.dir);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
    await ladder?.cleanup();
  });

  /** Opens the player page with the API answering `startBitrateKbps`; the rung of its first media segment. */
  async function firstSegmentRung(
    startBitrateKbps: number | undefined,
    options: Record<string, unknown> = {},
  ): Promise<{ rung: number; page: Page; asked: string[] }> {
    const server = await startPageServer({
      page: scriptTagPage({
        videoId: VIDEO_ID,
        collectorUrl: '/v1/beacons',
        playerOptions: { autoplay: 'muted', muted: true },
        ...options,
      }),
      hlsDir: ladder.dir,
      playback: {
        manifestUrl: '/hls/master.m3u8',
        expiresAt: '2031-05-01T11:00:00.000Z',
        variant: null,
        ladderId: 'default',
        ladderVersion: 2,
        ...(startBitrateKbps === undefined ? {} : { startBitrateKbps }),
      },
    });
    servers.push(server);
    const page = await browser.newPage();
    const segments: number[] = [];
    page.on('request', (request) => {
      const rung = SEGMENT.exec(new URL(request.url()).pathname)?.[1];
      if (rung !== undefined) segments.push(Number(rung));
    });
    await page.goto(server.url);
    const rung = await eventually('the first media segment request', () => segments[0]);
    return { rung, page, asked: server.playbackAsked };
  }

  it('has a ladder of three clearly different rungs', () => {
    expect(bandwidths).toHaveLength(3);
    expect(bandwidths[0]! * 2).toBeLessThan(bandwidths[1]!);
    expect(bandwidths[1]! * 2).toBeLessThan(bandwidths[2]!);
  });

  it('starts on the lowest rung for a hint below it', async () => {
    const hintKbps = Math.floor(bandwidths[0]! / 2 / 1000);
    const { rung, page, asked } = await firstSegmentRung(hintKbps);
    // The page went through the playback API, with the viewer's id the hint is looked up by.
    expect(asked[0]).toMatch(new RegExp(`^/api/v1/videos/${VIDEO_ID}/playback\\?viewerId=.+`));
    expect(rung).toBe(0);
    await page.close();
  });

  it('starts on the top rung for a hint above twice its bitrate', async () => {
    const hintKbps = Math.ceil((bandwidths[2]! * 2) / 1000);
    const { rung, page } = await firstSegmentRung(hintKbps);
    expect(rung).toBe(2);
    await page.close();
  });

  it("starts where VHS starts by default with startHint: false, whatever the API's hint", async () => {
    const { rung, page } = await firstSegmentRung(Math.ceil((bandwidths[2]! * 2) / 1000), {
      startHint: false,
    });
    const expected = rungVhsPicks(bandwidths, await defaultEstimateBps(page));
    expect(rung).toBe(expected);
    // The case tells something only if the default differs from what the hint would have chosen.
    expect(expected).not.toBe(2);
    await page.close();
  });

  it('starts where VHS starts by default when the API answers no hint', async () => {
    const { rung, page } = await firstSegmentRung(undefined);
    expect(rung).toBe(rungVhsPicks(bandwidths, await defaultEstimateBps(page)));
    await page.close();
  });

  it("is overruled by Chromium's downlink when the page keeps the Network Information API on (why the SDK sets it aside)", async () => {
    const { rung, page } = await firstSegmentRung(Math.floor(bandwidths[0]! / 2 / 1000), {
      playerOptions: { autoplay: 'muted', muted: true, html5: { vhs: { useNetworkInformationApi: true } } },
    });
    const downlink = await downlinkBps(page);
    expect(downlink).toBeDefined();
    expect(rung).toBe(rungVhsPicks(bandwidths, downlink!));
    expect(rung).not.toBe(0);
    await page.close();
  });

  it("keeps a page's own start bandwidth over the hint", async () => {
    const { rung, page } = await firstSegmentRung(Math.floor(bandwidths[0]! / 2 / 1000), {
      playerOptions: {
        autoplay: 'muted',
        muted: true,
        html5: { vhs: { bandwidth: bandwidths[2]! * 2, useNetworkInformationApi: false } },
      },
    });
    expect(rung).toBe(2);
    await page.close();
  });
});
