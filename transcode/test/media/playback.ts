/**
 * Plays an output folder in headless Chromium with video.js (HLS and DASH through its VHS engine):
 * a tiny static server over the folder, one browser for every check.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@streamloop/core/testing';
import { type Browser, chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const VIDEOJS = path.join(path.dirname(require.resolve('video.js/package.json')), 'dist', 'video.min.js');

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.js': 'text/javascript',
  '.html': 'text/html',
};

const MIME = { hls: 'application/x-mpegURL', dash: 'application/dash+xml' } as const;

/** Resolves after 1 s of playback (or the end), with what the video element decoded; or the error. */
const PAGE = `<!doctype html><html><body>
<video id="v" class="video-js" muted playsinline width="320" height="180"></video>
<script src="/_videojs.js"></script>
<script>
function playCheck(src, type) {
  return new Promise((resolve) => {
    const player = videojs('v', { muted: true, html5: { vhs: { overrideNative: true } } });
    const video = document.querySelector('video');
    const done = (error) => resolve({
      playedSec: player.currentTime(), videoWidth: video.videoWidth, videoHeight: video.videoHeight, error,
    });
    const timer = setTimeout(() => done('timed out before 1 s of playback'), 30000);
    player.on('error', () => { clearTimeout(timer); done(player.error() ? player.error().message : 'error'); });
    const check = () => {
      if (player.currentTime() >= 1 || player.ended()) { clearTimeout(timer); done(null); }
    };
    player.on('timeupdate', check);
    player.on('ended', check);
    player.src({ src, type });
    player.play();
  });
}
</script></body></html>`;

export interface PlaybackResult {
  /** Seconds played when the check stopped. */
  playedSec: number;
  videoWidth: number;
  videoHeight: number;
  error: string | null;
}

export interface PlaybackRig {
  play(relativeUrl: string, type: 'hls' | 'dash'): Promise<PlaybackResult>;
  close(): Promise<void>;
}

export async function startPlaybackRig(root: string): Promise<PlaybackRig> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    const file = url.pathname === '/_videojs.js' ? VIDEOJS : path.join(root, path.normalize(url.pathname));
    if (!file.startsWith(root) && file !== VIDEOJS) return res.writeHead(403).end();
    try {
      const info = await stat(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
      });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });

  return {
    async play(relativeUrl, type) {
      const page = await browser.newPage();
      try {
        await page.goto(`${base}/`);
        const call = `playCheck(${JSON.stringify(`${base}/${relativeUrl}`)}, ${JSON.stringify(MIME[type])})`;
        return (await page.evaluate(call)) as PlaybackResult;
      } finally {
        await page.close();
      }
    },
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
