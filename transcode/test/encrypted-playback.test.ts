/**
 * An AES-128 ladder from the worker plays in a real browser: Debian's Chromium with video.js (VHS
 * decrypts AES-128 itself). The media are served from the worker's object store and the key from the
 * catalog by a loopback server standing in for delivery's origin and key route (transcode may not
 * depend on delivery; delivery's own test checks its key route against the same playlist format).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { getVideoKey } from '@streamloop/catalog/key-repository';
import { mediaUrlPath } from '@streamloop/core/object-layout';
import { CHROMIUM_ARGS, CHROMIUM_PATH, eventually } from '@streamloop/core/testing';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, settledVideo, startTranscodeFixture, type TranscodeFixture } from './helpers.js';

const VIDEO_JS = createRequire(import.meta.url).resolve('video.js/dist/video.min.js');

describe('an AES-128 encrypted ladder in Chromium with video.js', () => {
  let fixture: TranscodeFixture;
  let server: Server;
  let browser: Browser;
  let baseUrl: string;
  const keyRequests: string[] = [];

  beforeAll(async () => {
    fixture = await startTranscodeFixture({ encryption: 'aes-128' });
    server = createServer((request, response) => {
      void (async () => {
        const { pathname } = new URL(request.url ?? '/', 'http://127.0.0.1');
        const keyPath = /^\/media\/([^/]+)\/aes-128\.key$/.exec(pathname);
        if (keyPath) {
          keyRequests.push(pathname);
          const key = await getVideoKey(fixture.catalog, keyPath[1]!);
          if (key === undefined) return response.writeHead(404).end();
          return response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(key.key);
        }
        if (pathname === '/video.min.js') {
          return response.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(VIDEO_JS));
        }
        if (pathname.startsWith('/media/')) {
          const object = await fixture.objectStore.getBuffer(pathname.slice(1));
          if (object === null) return response.writeHead(404).end();
          const type = pathname.endsWith('.m3u8')
            ? 'application/vnd.apple.mpegurl'
            : 'application/octet-stream';
          return response.writeHead(200, { 'content-type': type }).end(object);
        }
        response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      })().catch(() => response.writeHead(500).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await fixture?.teardown();
  });

  it('plays past 2 s after fetching the key from the key route', async () => {
    const job = await fixture.submit(
      await makeClip(path.join(fixture.dir, 'clip.mp4'), { seconds: 8, size: '640x360' }),
    );
    const video = await settledVideo(fixture.catalog, job.videoId);
    expect(video.status).toBe('ready');

    const page = await browser.newPage();
    await page.goto(`${baseUrl}/?src=${encodeURIComponent(mediaUrlPath(job.videoId, video.ladder!.master))}`);
    const state = await eventually(
      'the player to play past 2 s',
      async () => {
        // A string, so this Node-side file needs no DOM types.
        const now = (await page.evaluate(
          '({ played: window.played, errors: window.errors, time: document.querySelector("video")?.currentTime ?? 0 })',
        )) as { played: boolean; errors: string[]; time: number };
        if (now.errors.length > 0) return now;
        return now.played && now.time > 2 ? now : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(state.errors).toEqual([]);
    expect(state.time).toBeGreaterThan(2);
    expect(keyRequests).toContain(`/media/${job.videoId}/aes-128.key`);
    await page.close();
  });
});

const PAGE = `<!doctype html>
<html><body>
<video id="v" class="video-js" muted playsinline width="640" height="360"></video>
<script src="/video.min.js"></script>
<script>
  window.played = false;
  window.errors = [];
  const src = new URLSearchParams(location.search).get('src');
  const player = videojs('v', { autoplay: 'muted', muted: true });
  player.on('playing', () => { window.played = true; });
  player.on('error', () => { const e = player.error(); window.errors.push(e ? e.code + ': ' + e.message : 'error'); });
  player.src({ src, type: 'application/x-mpegURL' });
</script>
</body></html>`;
