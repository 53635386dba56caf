/**
 * What the player QoE tests put in the browser:
 *
 * - `GROUND_TRUTH`, an init script that measures, independently of the SDK, what the SDK claims to
 *   measure: play() call → first presented frame (requestVideoFrameCallback), and stalls as the
 *   video element shows them (`waiting` → `playing` while not seeking). It also counts the
 *   page's sendBeacon calls into localStorage, which outlives the page.
 * - a harness page for the cases the watch page cannot set up (a small VHS buffer so a throttled
 *   network can empty it within a test, an explicit play() call, a given manifest URL). It is
 *   fulfilled by the test on the stack's own origin and uses the stack's real SDK bundle, API,
 *   origin and collector.
 *
 * Scripts are strings: this package compiles without the DOM library.
 */
import type { Page } from 'playwright-core';

export interface GroundTruth {
  /** performance.now() of the first HTMLMediaElement.play() call on a video. */
  playAt: number | null;
  /** performance.now() in the first requestVideoFrameCallback after it. */
  firstFrameAt: number | null;
  /** Lengths of the stalls after the first frame, in ms. */
  stallsMs: number[];
  /** A stall open right now (waiting without playing since). */
  stallOpen: boolean;
}

export const SEND_BEACON_LOG = 'player-qoe-test:sendBeacon';

export const GROUND_TRUTH = `(() => {
  const truth = { playAt: null, firstFrameAt: null, stallsMs: [], stallOpen: false };
  let stallStart = null;
  window.__groundTruth = truth;
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...args) {
    if (truth.playAt === null && this instanceof HTMLVideoElement) {
      truth.playAt = performance.now();
      this.requestVideoFrameCallback(() => { truth.firstFrameAt = performance.now(); });
    }
    return play.apply(this, args);
  };
  document.addEventListener('waiting', (event) => {
    if (truth.firstFrameAt === null || event.target.seeking || stallStart !== null) return;
    stallStart = performance.now();
    truth.stallOpen = true;
  }, true);
  document.addEventListener('playing', () => {
    if (stallStart === null) return;
    truth.stallsMs.push(performance.now() - stallStart);
    stallStart = null;
    truth.stallOpen = false;
  }, true);
  document.addEventListener('seeking', () => { stallStart = null; truth.stallOpen = false; }, true);
  const sendBeacon = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = (url, data) => {
    const ok = sendBeacon(url, data);
    try {
      const log = JSON.parse(localStorage.getItem(${JSON.stringify(SEND_BEACON_LOG)}) || '[]');
      log.push({ url: String(url), ok, bytes: data && data.size, hidden: document.visibilityState });
      localStorage.setItem(${JSON.stringify(SEND_BEACON_LOG)}, JSON.stringify(log));
    } catch {}
    return ok;
  };
})();`;

export function readGroundTruth(page: Page): Promise<GroundTruth> {
  return page.evaluate(() => (window as unknown as PageGlobals).__groundTruth);
}

export interface HarnessOptions {
  videoId: string;
  /** A manifest URL to play instead of asking the playback API. */
  playbackUrl?: string;
  /** VHS' forward buffer goal in seconds (default 30, its own). */
  goalBufferSeconds?: number;
}

export const HARNESS_PATH = '/player-qoe-harness';

const HARNESS_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>player QoE harness</title>
<link rel="stylesheet" href="/sdk/v0/streamloop-player.min.css">
<style>body { margin: 0; background: #000; }</style>
</head><body>
<video id="player" class="video-js" playsinline muted></video>
<script src="/sdk/v0/streamloop-player.min.js"></script>
<script>
  const config = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  const Vhs = StreamloopPlayer.videojs.Vhs;
  if (config.goalBufferSeconds) {
    Vhs.GOAL_BUFFER_LENGTH = config.goalBufferSeconds;
    Vhs.MAX_GOAL_BUFFER_LENGTH = config.goalBufferSeconds;
  }
  window.streamloop = StreamloopPlayer.createPlayer('player', {
    videoId: config.videoId,
    playbackUrl: config.playbackUrl,
    collectorUrl: '/v1/beacons',
    transport: { flushIntervalMs: 1000 },
    // ABR on what VHS measures: headless Chromium's Network Information API reports ~1.5 Mbit/s
    // on loopback, and VHS would believe it and never leave the lowest rung.
    playerOptions: { muted: true, width: 1280, height: 720, html5: { vhs: { useNetworkInformationApi: false } } },
  });
  // The viewer's click, as a page makes it: play() once the source is set.
  window.streamloop.ready.then(() => window.streamloop.player.play()).catch(() => {});
</script>
</body></html>`;

/** Serves the harness at `${base}${HARNESS_PATH}` for this page only, and opens it. */
export async function openHarness(page: Page, base: string, options: HarnessOptions): Promise<void> {
  await page.route(`${base}${HARNESS_PATH}`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: HARNESS_HTML }),
  );
  await page.goto(`${base}${HARNESS_PATH}#${encodeURIComponent(JSON.stringify(options))}`);
}

/** The SDK's ids for the view on this page (watch page and harness both expose `window.streamloop`). */
export async function viewOf(page: Page): Promise<{ sessionId: string; viewId: string }> {
  // Functions, not strings: the watch page's Content-Security-Policy forbids eval.
  await page.waitForFunction(() => (window as unknown as PageGlobals).streamloop?.monitor, undefined, {
    timeout: 15_000,
  });
  return page.evaluate(() => {
    const { monitor } = (window as unknown as PageGlobals).streamloop;
    return { sessionId: monitor.sessionId, viewId: monitor.viewId };
  });
}

/** Resolves once the video's playhead has passed `seconds`. */
export async function playedPast(page: Page, seconds: number, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction((s) => (document.querySelector('video')?.currentTime ?? 0) > s, seconds, {
    timeout: timeoutMs,
    polling: 100,
  });
}

/** What the pages put on `window`, as far as the tests read it. */
export interface PageGlobals {
  streamloop: {
    monitor: {
      sessionId: string;
      viewId: string;
      getStats(): { state: string; beacons: { pending: number; dropped: number; sent: number } };
    };
    player: { currentTime(seconds?: number): number; error(): unknown };
  };
  __groundTruth: GroundTruth;
}
