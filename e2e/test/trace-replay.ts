/**
 * Replays a network trace into the stack's own watch page (issue 11's validation of the playback
 * model), and reads the player's numbers back from its beacons as they reached analytics.
 *
 * The bytes go through shaping-proxy.ts (one link at the trace's rate, latency per request; the
 * page is opened through the proxy, so playlists, segments, the API and beacons all cross it), and
 * the browser is told the rate through DevTools (`Network.overrideNetworkState`), which sets
 * `navigator.connection.downlink` as DevTools throttling would: VHS reads it (the watch page leaves
 * `useNetworkInformationApi` on, VHS' default). See shaping-proxy.ts for why DevTools' own
 * throttling cannot play a trace that changes.
 *
 * The trace starts when the page asks for the master playlist, the model's time zero: the page, the
 * SDK bundle and the playback API answer before it go unshaped (the model has no page to load).
 */
import type { NetworkTrace } from '@streamloop/playback-model/trace';
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { ShapingProxy } from './shaping-proxy.js';
import { eventsOf, type StoredBeacon, sum, waitForBeacons } from './player-beacons.js';
import { viewOf } from './player-pages.js';

/** One media request as DevTools saw it (times in ms from the trace's start). */
export interface ReplayedRequest {
  path: string;
  sentMs: number;
  firstByteMs: number | undefined;
  doneMs: number | undefined;
  bytes: number;
  /** The request's CMCD query (part of the URL, so of the browser cache's key). */
  cmcd?: string | null;
  /** HTTP status (206: the browser resumed an aborted response from its cache with a Range). */
  status?: number;
  fromCache?: boolean;
}

export interface ReplayOutcome {
  sessionId: string;
  /** The video element's CSS size, which VHS compares renditions with. */
  playerWidth: number;
  playerHeight: number;
  /** The SDK's startup: play intent (autoplay, after the playlists) to first frame. */
  startupTimeMs: number | undefined;
  /** Master playlist request to first frame: the model's startup (its clock starts there). */
  masterToFirstFrameMs: number | undefined;
  rebufferCount: number;
  /**
   * Time stalled: the SDK's watch time less its play time (heartbeats and viewend). Not its
   * `rebufferDurationMs`: when VHS' playback watcher nudges a stalled playhead with a tiny seek,
   * the SDK ends the rebuffer there and counts the rest of the stall as a seek (no viewer seeks here).
   */
  rebufferDurationMs: number;
  /** The SDK's own rebuffer total, for the record. */
  sdkRebufferDurationMs: number;
  /**
   * The browser's own work, which the model takes as inputs: master playlist loaded → first media
   * playlist request (resource timing), and the median time from a video segment's last byte to
   * the next video request while the loader is busy (append and the loader's turn; DevTools log).
   */
  setupMs: number;
  appendMs: number;
  /**
   * Median of that gap per 10⁶ bytes over the large (≥ 500 kB) video segments: the part of the
   * append that grows with the segment. Small segments' gaps are mostly the loader's turn.
   */
  appendMsPerMegabyte: number;
  /** Master request → first video segment request (DevTools log). */
  firstSegmentAtMs: number | undefined;
  /** Played time by rendition height (the SDK's heartbeats: one rung on screen per heartbeat). */
  playTimeMsByHeight: Map<number, number>;
  /** Downloaded rung after each switch (SDK renditionchange), ms from the master request. */
  switches: { height: number; reason: string | undefined; atMs: number }[];
  requests: ReplayedRequest[];
  /** VHS' bandwidth estimate and navigator.connection.downlink, sampled every 500 ms. */
  samples: { atMs: number; vhsBandwidth: number; downlinkMbps: number | undefined; bufferSec: number }[];
  /**
   * Chromium's privacy noise on navigator.connection.downlink for this page (downlink ÷ emulated
   * rate; differs between browser runs and hosts), measured before the watch page opens.
   */
  downlinkMultiplier: number;
  wallMs: number;
  beacons: StoredBeacon[];
}

export interface ReplayOptions {
  /** The stack itself (analytics API). */
  base: string;
  /** The proxy in front of the stack (the page is opened through it). */
  proxy: ShapingProxy;
  apiKey: string;
  videoId: string;
  trace: NetworkTrace;
  /** Seconds of playback to watch before closing the page. */
  playSec: number;
  /** Gives up on a session that takes longer than this (wall clock) to play playSec. */
  maxWallMs: number;
}

/** Tells the page the rate of each trace piece as it comes (navigator.connection); loops like the trace. */
function createDownlinkDriver(cdp: CDPSession, trace: NetworkTrace) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tell = (bandwidthKbps: number, latencyMs: number) =>
    cdp.send('Network.overrideNetworkState', {
      offline: false,
      latency: latencyMs,
      downloadThroughput: (bandwidthKbps * 1000) / 8,
      uploadThroughput: -1,
    });
  const apply = (index: number, dueAtMs: number): void => {
    if (stopped) return;
    const piece = trace.pieces[index % trace.pieces.length];
    if (!piece) return;
    void tell(piece.bandwidthKbps, piece.latencyMs).catch(() => {});
    const nextDue = dueAtMs + piece.durationMs;
    // Scheduled against the trace's start, so timer lateness does not add up over a trace.
    timer = setTimeout(() => apply(index + 1, nextDue), Math.max(0, nextDue - Date.now()));
  };
  return {
    /** Before the trace starts: the first piece, so VHS' first choice already reads it. */
    prime: () => tell(trace.pieces[0]?.bandwidthKbps ?? 0, trace.pieces[0]?.latencyMs ?? 0),
    start: (startedAtMs: number) => apply(0, startedAtMs),
    stop(): void {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

// High enough that the 50 kbit/s rounding costs < 1 %, under the 10 Mbit/s cap even at × 1.1.
const CALIBRATION_KBPS = 8000;

/** downlink ÷ emulated rate on the page's origin (Chromium keeps the multiplier per host). */
async function measureDownlinkMultiplier(page: Page, cdp: CDPSession, base: string): Promise<number> {
  await page.goto(`${base}/healthz`);
  await cdp.send('Network.overrideNetworkState', {
    offline: false,
    latency: 0,
    downloadThroughput: (CALIBRATION_KBPS * 1000) / 8,
    uploadThroughput: -1,
  });
  const downlinkMbps = await page.evaluate(
    () => (navigator as unknown as { connection?: { downlink?: number } }).connection?.downlink,
  );
  if (downlinkMbps === undefined) throw new Error('this Chromium has no navigator.connection.downlink');
  return (downlinkMbps * 1000) / CALIBRATION_KBPS;
}

const isMedia = (path: string): boolean => /\.(m4s|ts|mp4|m3u8)$/.test(path);

export async function replayTrace(browser: Browser, options: ReplayOptions): Promise<ReplayOutcome> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const { proxy } = options;
  const downlinkMultiplier = await measureDownlinkMultiplier(page, cdp, proxy.url);
  const driver = createDownlinkDriver(cdp, options.trace);
  await driver.prime();
  proxy.armOn(options.trace, /\/master\.m3u8$/, (startedAtMs) => driver.start(startedAtMs));

  // DevTools timestamps are seconds on the browser's monotonic clock; the first master request fixes zero.
  let zeroSec: number | undefined;
  let zeroWallMs = 0;
  const requests = new Map<string, ReplayedRequest>();
  cdp.on('Network.requestWillBeSent', (event) => {
    const path = new URL(event.request.url).pathname;
    if (zeroSec === undefined && path.endsWith('/master.m3u8')) {
      zeroSec = event.timestamp;
      zeroWallMs = Date.now();
    }
    if (zeroSec === undefined || !isMedia(path)) return;
    requests.set(event.requestId, {
      path,
      sentMs: (event.timestamp - zeroSec) * 1000,
      firstByteMs: undefined,
      doneMs: undefined,
      bytes: 0,
      cmcd: new URL(event.request.url).searchParams.get('CMCD'),
    });
  });
  cdp.on('Network.responseReceived', (event) => {
    const request = requests.get(event.requestId);
    if (!request || zeroSec === undefined) return;
    request.firstByteMs = (event.timestamp - zeroSec) * 1000;
    request.status = event.response.status;
    request.fromCache = event.response.fromDiskCache === true;
  });
  cdp.on('Network.loadingFinished', (event) => {
    const request = requests.get(event.requestId);
    if (!request || zeroSec === undefined) return;
    request.doneMs = (event.timestamp - zeroSec) * 1000;
    request.bytes = event.encodedDataLength;
  });

  const startedAt = Date.now();
  await page.goto(`${proxy.url}/watch/${options.videoId}`);
  const { sessionId } = await viewOf(page);
  const size = await page.evaluate(() => {
    const style = getComputedStyle(document.querySelector('video') as Element);
    return { width: Number.parseInt(style.width, 10), height: Number.parseInt(style.height, 10) };
  });

  const samples: ReplayOutcome['samples'] = [];
  const sampler = setInterval(() => {
    const atMs = zeroSec === undefined ? 0 : Date.now() - zeroWallMs;
    page
      .evaluate(() => {
        const w = window as unknown as {
          streamloop?: { player?: { tech?(b: boolean): { vhs?: { bandwidth?: number } } } };
          navigator: { connection?: { downlink?: number } };
        };
        const video = document.querySelector('video');
        const ranges = video?.buffered;
        const end = ranges && ranges.length > 0 ? ranges.end(ranges.length - 1) : 0;
        return {
          vhsBandwidth: w.streamloop?.player?.tech?.(true)?.vhs?.bandwidth ?? 0,
          downlinkMbps: w.navigator.connection?.downlink,
          bufferSec: Math.max(0, end - (video?.currentTime ?? 0)),
        };
      })
      .then((sample) => samples.push({ atMs, ...sample }))
      .catch(() => {});
  }, 500);

  try {
    await page.waitForFunction(
      (s) => (document.querySelector('video')?.currentTime ?? 0) >= s,
      options.playSec,
      { timeout: options.maxWallMs, polling: 100 },
    );
  } finally {
    clearInterval(sampler);
    // Unshaped before the page closes, so its last beacons (sendBeacon on pagehide) leave at once.
    driver.stop();
    proxy.disarm();
  }
  const wallMs = Date.now() - startedAt;
  // Page clock (performance.now), the SDK's monotonicMs clock too.
  const timing = await page.evaluate(() => {
    const entries = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    const master = entries.find((e) => /\/master\.m3u8/.test(e.name));
    const media = entries.find((e) => /\.m3u8/.test(e.name) && e !== master);
    return {
      masterAtMs: master?.startTime,
      setupMs: master && media ? Math.max(0, media.startTime - master.responseEnd) : 0,
    };
  });
  const { masterAtMs } = timing;
  await page.close({ runBeforeUnload: true });
  await context.close();
  if (problems.length > 0) throw new Error(`page errors: ${problems.join('; ')}`);

  const { sdk } = await waitForBeacons(
    'the view to end',
    options.base,
    options.apiKey,
    sessionId,
    (beacons) => beacons.some((b) => b.event === 'viewend'),
    60_000,
  );
  const firstFrame = eventsOf(sdk, 'firstframe')[0];
  const playTimeMsByHeight = new Map<number, number>();
  for (const beacon of sdk) {
    if (beacon.event !== 'heartbeat' && beacon.event !== 'viewend') continue;
    if (!beacon.playTimeMs || beacon.height === undefined) continue;
    playTimeMsByHeight.set(beacon.height, (playTimeMsByHeight.get(beacon.height) ?? 0) + beacon.playTimeMs);
  }
  const heartbeats = sdk.filter((b) => b.event === 'heartbeat' || b.event === 'viewend');
  const sorted = [...requests.values()].sort((a, b) => a.sentMs - b.sentMs);
  // Switch times from the master request (the model's zero), else from play intent.
  const firstMonotonic = masterAtMs ?? eventsOf(sdk, 'playrequest')[0]?.monotonicMs ?? 0;
  return {
    sessionId,
    playerWidth: size.width,
    playerHeight: size.height,
    startupTimeMs: firstFrame?.startupTimeMs,
    masterToFirstFrameMs:
      firstFrame && masterAtMs !== undefined ? Math.round(firstFrame.monotonicMs - masterAtMs) : undefined,
    rebufferCount: eventsOf(sdk, 'rebufferstart').length,
    rebufferDurationMs: sum(heartbeats.map((b) => b.watchTimeMs)) - sum(heartbeats.map((b) => b.playTimeMs)),
    sdkRebufferDurationMs: sum(eventsOf(sdk, 'rebufferend').map((b) => b.rebufferDurationMs)),
    setupMs: Math.round(timing.setupMs),
    appendMs: Math.round(median(busyGaps(sorted).map((g) => g.gapMs))),
    appendMsPerMegabyte: Math.round(
      median(
        busyGaps(sorted).flatMap((g) => (g.bytes >= LARGE_SEGMENT_BYTES ? [g.gapMs / (g.bytes / 1e6)] : [])),
      ),
    ),
    firstSegmentAtMs: sorted.find((r) => r.path.endsWith('.m4s') && !r.path.includes('/audio/'))?.sentMs,
    playTimeMsByHeight,
    switches: eventsOf(sdk, 'renditionchange').map((b) => ({
      height: b.height ?? 0,
      reason: b.switchReason,
      atMs: Math.round(b.monotonicMs - firstMonotonic),
    })),
    requests: sorted,
    samples,
    downlinkMultiplier,
    wallMs,
    beacons: sdk,
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : (sorted[Math.floor((sorted.length - 1) / 2)] ?? 0);
};

// Longer gaps are the loader idling at its buffer goal (it looks again every 500 ms), not work.
const BUSY_GAP_MS = 400;

const LARGE_SEGMENT_BYTES = 500_000;

/** For each video segment, the time from its last byte to the next video request, while busy. */
function busyGaps(requests: ReplayedRequest[]): { bytes: number; gapMs: number }[] {
  const video = requests.filter((r) => r.path.endsWith('.m4s') && !r.path.includes('/audio/'));
  const gaps: { bytes: number; gapMs: number }[] = [];
  video.forEach((request, i) => {
    const next = video[i + 1];
    if (request.doneMs === undefined || next === undefined) return;
    const gapMs = next.sentMs - request.doneMs;
    if (gapMs >= 0 && gapMs < BUSY_GAP_MS) gaps.push({ bytes: request.bytes, gapMs });
  });
  return gaps;
}
