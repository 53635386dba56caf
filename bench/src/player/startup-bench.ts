/**
 * Startup time in Debian's Chromium with the SDK's monitor against bare video.js from the same
 * bundle, alternating in one run, reported as a ratio; and how far the SDK's reported
 * `startupTimeMs` is from the page's own play() → first presented frame. The browser test only
 * checks that startup is reported; how long it takes is measured here.
 *
 *   npm run bench:player -w bench        (needs ffmpeg, /usr/bin/chromium and a built player-sdk)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@streamloop/core/testing';
import { type Browser, chromium } from 'playwright-core';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const ORIGIN = 'http://bench.player.test';
const sdkDir = path.dirname(
  createRequire(import.meta.url).resolve('@streamloop/player-sdk/streamloop-player.min.js'),
);

type Target = 'sdk' | 'bare';
interface Run {
  target: Target;
  round: number;
  /** play() → first requestVideoFrameCallback, measured by the page. */
  pageStartupMs: number;
  /** What the SDK reported in its firstframe beacon (sdk only). */
  reportedStartupMs?: number;
}

// The page's own startup measurement, independent of the SDK.
const MEASURE = `(() => {
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...args) {
    if (window.__playAt === undefined && this instanceof HTMLVideoElement) {
      window.__playAt = performance.now();
      this.requestVideoFrameCallback(() => { window.__startupMs = performance.now() - window.__playAt; });
    }
    return play.apply(this, args);
  };
})();`;

function page(target: Target): string {
  const start =
    target === 'sdk'
      ? `const p = StreamloopPlayer.createPlayer('player', { videoId: 'bench-video', playbackUrl: '/hls/master.m3u8',
           collectorUrl: '/v1/beacons', transport: { flushIntervalMs: 500 }, playerOptions: { muted: true } });
         p.ready.then(() => p.player.play());`
      : `const p = StreamloopPlayer.videojs('player', { muted: true });
         p.src({ src: '/hls/master.m3u8', type: 'application/x-mpegURL' });
         p.ready(() => p.play());`;
  return `<!doctype html><html><head><meta charset="utf-8"></head><body>
<video id="player" class="video-js" width="640" height="360" playsinline muted></video>
<script src="/sdk/streamloop-player.min.js"></script><script>${start}</script></body></html>`;
}

async function makeClip(dir: string): Promise<void> {
  // With an audio track: without one ffmpeg writes a master playlist with no variant in it.
  const args =
    `-hide_banner -loglevel error -y -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine -t 6
    -c:a aac -c:v libx264 -preset veryfast -g 60 -pix_fmt yuv420p
    -f hls -hls_time 2 -hls_playlist_type vod -master_pl_name master.m3u8`.split(/\s+/);
  await promisify(execFile)('ffmpeg', [...args, path.join(dir, 'index.m3u8')]);
}

async function measure(browser: Browser, clipDir: string, target: Target, round: number): Promise<Run> {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const beacons: Beacon[] = [];
  tab.on('console', (m) => process.env.BENCH_DEBUG && process.stdout.write(`console: ${m.text()}\n`));
  tab.on('pageerror', (e) => process.stdout.write(`page error: ${e.message}\n`));
  await tab.addInitScript(MEASURE);
  await tab.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/') return route.fulfill({ contentType: 'text/html', body: page(target) });
    if (url.pathname === '/v1/beacons') {
      beacons.push(...(JSON.parse(route.request().postData() ?? '[]') as Beacon[]));
      return route.fulfill({ status: 202, body: '{}' });
    }
    const [, root, file] = /^\/(sdk|hls)\/([\w.-]+)$/.exec(url.pathname) ?? [];
    if (!root || !file) return route.fulfill({ status: 404 });
    return route.fulfill({ body: await readFile(path.join(root === 'sdk' ? sdkDir : clipDir, file)) });
  });
  await tab.goto(`${ORIGIN}/`);
  await tab.waitForFunction(
    () => (globalThis as unknown as { __startupMs?: number }).__startupMs !== undefined,
  );
  const pageStartupMs = await tab.evaluate(
    () => (globalThis as unknown as { __startupMs: number }).__startupMs,
  );
  let reportedStartupMs: number | undefined;
  if (target === 'sdk') {
    for (let i = 0; i < 100 && reportedStartupMs === undefined; i++) {
      reportedStartupMs = beacons.find((b) => b.event === 'firstframe')?.startupTimeMs;
      if (reportedStartupMs === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await context.close();
  return { target, round, pageStartupMs, ...(reportedStartupMs === undefined ? {} : { reportedStartupMs }) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  // A ratio taken beside a test run is noise: the load goes into the results.
  const loadBefore = os.loadavg()[0];
  const clipDir = await mkdtemp(path.join(os.tmpdir(), 'bench-player-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  const runs: Run[] = [];
  try {
    await makeClip(clipDir);
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating order: whichever goes first in a round warms nothing for the other.
      const order: Target[] = round % 2 === 1 ? ['sdk', 'bare'] : ['bare', 'sdk'];
      for (const target of order) runs.push(await measure(browser, clipDir, target, round));
      process.stdout.write(`round ${round}: ${JSON.stringify(runs.slice(-2))}\n`);
    }
  } finally {
    await browser.close();
    await rm(clipDir, { recursive: true, force: true });
  }
  const startup = (target: Target) =>
    median(runs.filter((r) => r.target === target).map((r) => r.pageStartupMs));
  const reportedError = median(
    runs.flatMap((r) =>
      r.reportedStartupMs === undefined ? [] : [Math.abs(r.reportedStartupMs - r.pageStartupMs)],
    ),
  );
  const summary = {
    benchmark: 'player-startup',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    load1m: { before: loadBefore, after: os.loadavg()[0] },
    setup: { rounds: ROUNDS, clip: '6 s 640x360 H.264 HLS, 2 s segments, served by Playwright routing' },
    ratios: { sdkToBareStartup: startup('sdk') / startup('bare') },
    medians: {
      sdkStartupMs: startup('sdk'),
      bareStartupMs: startup('bare'),
      reportedVsPageAbsMs: reportedError,
    },
    runs,
  };
  await writeFile(
    new URL('../../results/player-startup.json', import.meta.url),
    `${JSON.stringify(summary, null, 2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(summary.ratios)} ${JSON.stringify(summary.medians)}\n`);
}

await main();
