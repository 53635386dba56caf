/**
 * Embed anywhere (issue 20), in Debian's Chromium against the real single-process stack: a customer's
 * page served by a second local server (another origin: `localhost:<its port>` vs the stack's
 * `127.0.0.1:<port>`) plays one uploaded video three ways — the script tag from the stack's
 * versioned SDK URL with its SRI hash plus `createPlayer`, the `<streamloop-player>` element, and the
 * `/embed/:id` iframe — and each play shows up once in the QoE API. Then the owner restricts playback
 * to `localhost`: that site still plays, a site on `127.0.0.1:<another port>` gets
 * ERR_PLAYBACK_RESTRICTED in the player and no token, and cannot frame the embed page.
 */

/**
 * Embed anywhere (issue 20), in Debian's Chromium against the real single-process stack: a customer's
 * page served by a second local server (another origin: `localhost:<its port>` vs the stack's
 * `127.0.0.1:<port>`) plays one uploaded video three ways — the script tag from the stack's
 * versioned SDK URL with its SRI hash plus `createPlayer`, the `<streamloop-player>` element, and the
 * `/embed/:id` iframe — and each play shows up once in the QoE API. Then the owner restricts playback
 * to `localhost`: that site still plays, a site on `127.0.0.1:<another port>` gets
 * ERR_PLAYBACK_RESTRICTED in the player and no token, and cannot frame the embed page.
 */
import fs, { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { QoeSessionsResponse } from '@streamloop/core/schemas/qoe-api';
import { eventually } from '@streamloop/core/testing';
import { startProcess } from '@streamloop/service-kit/child-process';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { generateClip } from './media.js';
import { waitForBeacons } from './player-beacons.js';
import type { PageGlobals } from './player-pages.js';
import { entryOf, processEnv, SHARED_SECRETS } from './processes.js';
import { tusUpload, waitUntilReady } from './upload.js';

const apiKey = SHARED_SECRETS.STREAMLOOP_API_KEY;
const auth = { authorization: `Bearer ${apiKey}` };
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamloop-embed-'));
const clip = path.join(workDir, 'clip-360p-20s.mp4');
const manifest = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve('@streamloop/player-sdk/sdk-manifest.json'), 'utf8'),
) as { major: number; script: { integrity: string }; stylesheet: { integrity: string } };

let stack: { baseUrl: string; stop(): Promise<unknown> };
let base: string;
let browser: Browser;
let videoId: string;
/** The customer's site: one local server, reached as `localhost` (allowed later) and `127.0.0.1` (not). */
let customer: http.Server;
let allowedSite: string;
let otherSite: string;

type Way = 'script' | 'element' | 'iframe';

/** The customer's page for one way of embedding, as an app developer following docs/embed.md writes it. */
function customerPage(way: Way): string {
  const sdk = `${base}/sdk/v${manifest.major}/streamloop-player.min`;
  const head = `<link rel="stylesheet" href="${sdk}.css" integrity="${manifest.stylesheet.integrity}" crossorigin="anonymous">
<script src="${sdk}.js" integrity="${manifest.script.integrity}" crossorigin="anonymous"></script>`;
  const body = {
    script: `<video id="player" class="video-js" playsinline></video>
<script>
  window.streamloop = StreamloopPlayer.createPlayer('player', {
    videoId: ${JSON.stringify(videoId)},
    apiBase: ${JSON.stringify(base)},
    collectorUrl: ${JSON.stringify(`${base}/v1/beacons`)},
    transport: { flushIntervalMs: 1000 },
    playerOptions: { autoplay: 'muted', muted: true, width: 640, height: 360 },
  });
</script>`,
    element: `<streamloop-player video-id="${videoId}" api-base="${base}" autoplay muted controls style="display:block;width:640px"></streamloop-player>
<script>window.streamloop = document.querySelector('streamloop-player').streamloop;</script>`,
    // onload fires whether the frame shows the player or the browser's refusal.
    iframe: `<iframe src="${base}/embed/${videoId}?autoplay=1" width="640" height="360" style="border:0" allow="autoplay; fullscreen" onload="window.frameLoaded = true"></iframe>`,
  }[way];
  return `<!doctype html><html><head><meta charset="utf-8"><title>customer ${way}</title>${way === 'iframe' ? '' : head}</head><body>${body}</body></html>`;
}

beforeAll(async () => {
  [stack] = await Promise.all([
    // The views are read back one by one from the views list: one viewer's three views is under the
    // privacy floor's default k, so the floor is off (1) here.
    startProcess(
      entryOf('stack'),
      processEnv({ ...SHARED_SECRETS, STREAMLOOP_DEMO: '0', QOE_PRIVACY_MIN_VIEWERS: '1' }),
    ),
    generateClip(clip, { seconds: 20, width: 640, height: 360, bitrate: '1M' }),
  ]);
  base = stack.baseUrl;
  customer = http.createServer((request, response) => {
    const way = new URL(request.url ?? '/', 'http://x').pathname.slice(1) as Way;
    if (!['script', 'element', 'iframe'].includes(way)) return response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(customerPage(way));
  });
  await new Promise<void>((resolve) => customer.listen(0, '127.0.0.1', resolve));
  const { port } = customer.address() as AddressInfo;
  allowedSite = `http://localhost:${port}`;
  otherSite = `http://127.0.0.1:${port}`;
  expect(new URL(base).origin).not.toBe(otherSite);

  const upload = await tusUpload(clip, { endpoint: `${base}/uploads/`, apiKey, chunks: 1, title: 'embed' });
  videoId = upload.videoId;
  await waitUntilReady(base, apiKey, videoId);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => customer?.close(resolve));
  await stack?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

/** The frame the player runs in: the page itself, or the embed iframe inside it. */
async function playerFrame(page: Page, way: Way): Promise<Page | Frame> {
  if (way !== 'iframe') return page;
  const element = await page.waitForSelector('iframe');
  const frame = await element.contentFrame();
  if (frame === null) throw new Error('the embed iframe has no frame');
  return frame;
}

async function viewIn(frame: Page | Frame): Promise<{ sessionId: string; viewId: string }> {
  await frame.waitForFunction(() => (window as unknown as PageGlobals).streamloop?.monitor, undefined, {
    timeout: 15_000,
  });
  return frame.evaluate(() => {
    const { monitor } = (window as unknown as PageGlobals).streamloop;
    return { sessionId: monitor.sessionId, viewId: monitor.viewId };
  });
}

async function playedPast(frame: Page | Frame, seconds: number): Promise<void> {
  await frame.waitForFunction((s) => (document.querySelector('video')?.currentTime ?? 0) > s, seconds, {
    timeout: 60_000,
    polling: 100,
  });
}

/** The views the QoE API lists for the video with this viewId (the session list, as an analyst reads it). */
async function listedViews(viewId: string): Promise<QoeSessionsResponse['views']> {
  const response = await fetch(`${base}/api/v1/qoe/sessions?videoId=${videoId}&limit=1000`, {
    headers: auth,
  });
  if (!response.ok) throw new Error(`sessions API answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as QoeSessionsResponse).views.filter((v) => v.viewId === viewId);
}

describe('a public video on a customer site of another origin', () => {
  it.each<[Way, string]>([
    ['script', 'the script tag (SRI-pinned) and createPlayer'],
    ['element', 'the <streamloop-player> element'],
    ['iframe', 'the /embed iframe'],
  ])(
    'plays 6 s through %s and is counted once',
    async (way) => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('console', (msg) => {
        if (/integrity|Cross-Origin|CORS|Content Security Policy/i.test(msg.text()))
          problems.push(msg.text());
      });
      await page.goto(`${allowedSite}/${way}`);
      const frame = await playerFrame(page, way);
      const { sessionId, viewId } = await viewIn(frame);
      // Past 7 s of media: the SDK counts play time from its `playing` event, a few ms after media time 0.
      await playedPast(frame, 7);
      // The viewer leaves. For the iframe, the site removes it and its tab lives on: the out-of-process
      // frame's pagehide runs in its own renderer after the parent moved on, so closing the tab at once
      // races it (a frame torn down with its tab may not get to send its last beacons, as CI saw).
      if (way === 'iframe') await page.evaluate(() => document.querySelector('iframe')?.remove());
      else await page.close({ runBeforeUnload: true });

      const { sdk } = await waitForBeacons(`the ${way} view to end`, base, apiKey, sessionId, (beacons) =>
        beacons.some((b) => b.event === 'viewend'),
      );
      if (way === 'iframe') await page.close();
      const start = sdk.find((b) => b.event === 'viewstart');
      // The iframe's page is the stack's own embed page: that is the origin its beacons carry.
      expect(start?.pageOrigin).toBe(way === 'iframe' ? new URL(base).origin : allowedSite);
      expect(sdk.filter((b) => b.event === 'firstframe')).toHaveLength(1);
      const views = await eventually(`the ${way} view in the sessions list`, async () => {
        const found = await listedViews(viewId);
        // Listed from its first beacon; its counters are whole once the view's end is in.
        return found.some((v) => v.playTimeMs > 0) ? found : undefined;
      });
      expect(views).toHaveLength(1);
      expect(views[0]).toMatchObject({ sessionId, videoStartFailure: false });
      expect(views[0]?.playTimeMs).toBeGreaterThanOrEqual(6_000);
      expect(problems).toEqual([]);
    },
    150_000,
  );
});

describe("a video whose owner restricts playback to 'localhost'", () => {
  beforeAll(async () => {
    const response = await fetch(`${base}/api/v1/playback-restrictions`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ allowedDomains: ['localhost'], allowNoOrigin: false }),
    });
    expect(response.status).toBe(200);
  });

  it('still plays on the allowed site', async () => {
    const page = await browser.newPage();
    await page.goto(`${allowedSite}/script`);
    await playedPast(page, 2);
    await page.close();
  });

  it('shows ERR_PLAYBACK_RESTRICTED on another site, and hands it no token', async () => {
    const page = await browser.newPage();
    const playbackBodies: string[] = [];
    page.on('response', async (response) => {
      if (
        response.url().includes(`/api/v1/videos/${videoId}/playback`) &&
        response.request().method() === 'GET'
      ) {
        playbackBodies.push(`${response.status()} ${await response.text().catch(() => '')}`);
      }
    });
    await page.goto(`${otherSite}/script`);
    const error = await page
      .waitForFunction(
        () => {
          const shown = (window as unknown as PageGlobals).streamloop?.player.error() as {
            code?: unknown;
            message?: string;
          } | null;
          return shown && { code: shown.code, message: shown.message };
        },
        undefined,
        { timeout: 15_000 },
      )
      .then((handle) => handle.jsonValue());
    expect(error?.code).toBe('ERR_PLAYBACK_RESTRICTED');
    expect(error?.message).toContain(otherSite);
    await expect.poll(() => playbackBodies.length).toBeGreaterThan(0);
    for (const body of playbackBodies) {
      expect(body).toMatch(/^403 /);
      expect(body).not.toMatch(/manifestUrl|token/);
    }
    await page.close();
  });

  it.each([
    ['lets the allowed site frame the embed page', () => allowedSite, true],
    ['refuses to be framed by another site: the iframe never loads the player', () => otherSite, false],
  ])('%s', async (_name, site, framed) => {
    const page = await browser.newPage();
    const playbackRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/playback')) playbackRequests.push(request.url());
    });
    await page.goto(`${site()}/iframe`);
    await page.waitForFunction(() => (window as unknown as { frameLoaded?: boolean }).frameLoaded);
    const frame = await playerFrame(page, 'iframe');
    // In a refused frame Chromium shows its own error page: no player element, no SDK.
    const player = await frame.evaluate(() => ({
      video: document.querySelector('#player') !== null,
      sdk: typeof (window as unknown as { StreamloopPlayer?: unknown }).StreamloopPlayer,
    }));
    expect(player).toEqual(framed ? { video: true, sdk: 'object' } : { video: false, sdk: 'undefined' });
    // Framed on the allowed site, the embed's own same-origin playback request gets its token and plays.
    if (framed) await playedPast(frame, 2);
    else expect(playbackRequests).toEqual([]);
    await page.close();
  });
});
