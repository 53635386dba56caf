/**
 * What the player SDK costs the viewer, against plain video.js from the same bundle, in Debian's
 * Chromium against the single-process stack (its own bundle, playback token, origin and collector;
 * the page on another origin, as a customer's site is):
 *
 * 1. startup: play() → first presented frame (requestVideoFrameCallback), measured by the page,
 *    `sdk` and `bare` alternating, a fresh browser context per run; and the SDK's reported
 *    `startupTimeMs` against the page's ground truth (element play() → first frame, the definition
 *    e2e/test/player-qoe.test.ts holds it to);
 * 2. main thread per heartbeat interval in steady playback: CDP Performance.getMetrics
 *    TaskDuration/ScriptDuration over a window, per 10 s, sdk − bare;
 * 3. a long session: the 30 s title on loop at 16× with small VHS buffers (every loop fetches its
 *    segments again) until 30 media minutes have played, the SDK's heartbeat and batch intervals
 *    scaled by the same 16×; JS heap after forced GC at every 5 media minutes, both targets, twice
 *    each: the SDK's increment over bare with its range. Driven over a bare DevTools socket
 *    (raw-cdp.ts) by default, so no DevTools request records grow the heap; with
 *    BENCH_LONG_DRIVER=playwright, through Playwright, with a heap census (snapshot by constructor)
 *    at 5 minutes and at the end, which says what grew. Besides the slope over the whole session, the
 *    slope from BENCH_LONG_LATE_FROM media minutes on (the late half: past warm-up and V8's first
 *    code flushing, 40–50 media minutes here), and sdk − bare at every checkpoint, paired by run.
 *
 * Startup also records where the time goes (`phases`: element play(), the master and media playlist,
 * the first segment, the first append, the first frame, from the page's marks and Resource Timing)
 * and the median overhead's 95% bootstrap interval.
 *
 *   npm run build && npm run bench:sdk -w bench     (needs ffmpeg and /usr/bin/chromium;
 *   ~12 min; knobs BENCH_ROUNDS (20), BENCH_HEARTBEAT_ROUNDS (3), BENCH_HEARTBEAT_WINDOW_S (20),
 *   BENCH_LONG_MINUTES (30), BENCH_LONG_RUNS (2 per target), BENCH_LONG_LATE_FROM (half of BENCH_LONG_MINUTES), BENCH_LONG_DRIVER (raw-cdp | playwright), BENCH_LONG_CENSUS (1: census in raw-cdp sessions too), BENCH_RATE (16), BENCH_TARGETS (sdk,bare,bare-cmcd), BENCH_DATA_DIR (reuse the stack's data and its
 *   transcoded demo), BENCH_TRACE=<dir> (Chromium performance traces and CPU profiles, see trace.ts; BENCH_TRACE_RUNS (3)),
 *   BENCH_SETTLE_MS (1500), BENCH_RESULTS (file name under results/, default sdk.json),
 *   BENCH_SDK_OPTIONS (JSON merged into createPlayer's options, for diagnosis: `{"cmcd":false}`))
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@streamloop/core/testing';
import { percentile } from '@streamloop/simulator/summary';
import { type Browser, chromium } from 'playwright-core';
import {
  benchGlobals,
  censusGrowth,
  type HeapCensus,
  heapAfterGc,
  heapCensus,
  mainThread,
  type OpenPage,
  openPage,
  reportedStartupMs,
  type StartupPhases,
  startupPhases,
  waitForFirstFrame,
} from './measure.js';
import { type BenchGlobals, type PageConfig, startPageServer, type Target } from './pages.js';
import { launchRawChromium, type RawBrowser } from './raw-cdp.js';
import { type BenchStack, startBenchStack } from './stack.js';
import { attribute, type Profile, type StartupTrace, traceStartup } from './trace.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const HEARTBEAT_ROUNDS = Number(process.env.BENCH_HEARTBEAT_ROUNDS ?? 3);
// From 5 s to 25 s after the first frame: inside the 30 s title, before it ends.
const HEARTBEAT_WINDOW_S = Number(process.env.BENCH_HEARTBEAT_WINDOW_S ?? 20);
const LONG_MINUTES = Number(process.env.BENCH_LONG_MINUTES ?? 30);
const RATE = Number(process.env.BENCH_RATE ?? 16);
const LONG_RUNS = Number(process.env.BENCH_LONG_RUNS ?? 2);
/**
 * Where the long session's late slope starts, media minutes: past the warm-up, and past the drop
 * when V8 flushes unused code, which came at 40–50 media minutes, page by page (sdk-heap-90.json):
 * a window that straddles one page's drop and not the other's compares nothing. Pick it after both.
 */
const LATE_FROM = Number(process.env.BENCH_LONG_LATE_FROM ?? LONG_MINUTES / 2);
/** Who drives the long session's pages (SessionPage): raw-cdp by default, playwright for heap snapshots. */
const LONG_DRIVER = process.env.BENCH_LONG_DRIVER === 'playwright' ? 'playwright' : 'raw-cdp';
/** Heap census in raw-cdp sessions too (Playwright's always take one). */
const LONG_CENSUS = process.env.BENCH_LONG_CENSUS === '1';
const TRACE_DIR = process.env.BENCH_TRACE;
const HEARTBEAT_MS = 10_000;
/**
 * Pause after each page: what a run leaves behind (the SDK's last beacons at unload, the origin's
 * CMCD beacons) is processed by the stack before the next run starts, not during it.
 */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 1500);
const TRACE_RUNS = Number(process.env.BENCH_TRACE_RUNS ?? 3);
const TARGETS = (process.env.BENCH_TARGETS?.split(',') ?? ['sdk', 'bare', 'bare-cmcd']) as Target[];
/** Round r runs the targets rotated by r: each goes first, second and third equally often. */
const orderOf = (round: number, targets: Target[]): Target[] =>
  targets.map((_, i) => targets[(i + round) % targets.length] as Target);

const uptime = (): string => execFileSync('uptime').toString().trim();
const round1 = (n: number | undefined): number | undefined =>
  n === undefined ? undefined : Math.round(n * 10) / 10;
function summary(values: number[]): { n: number; median?: number; p90?: number; min?: number; max?: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: round1(percentile(sorted, 0.5)),
    p90: round1(percentile(sorted, 0.9)),
    min: round1(sorted[0]),
    max: round1(sorted.at(-1)),
  };
}
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * `rounds` rounds of one page per target, the order rotated each round, each page in its own context
 * and closed (then a pause: SETTLE_MS) whatever happens; the results in the order they were taken.
 */
async function rotated<T>(
  name: string,
  rounds: number,
  targets: Target[],
  { browser, pages, stack }: { browser: Browser; pages: Pages; stack: BenchStack },
  measure: (page: OpenPage, target: Target, round: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const target of orderOf(round, targets)) {
      const page = await openPage(browser, pages.url(config(stack, target)));
      try {
        results.push(await measure(page, target, round));
      } finally {
        await page.close();
        await sleep(SETTLE_MS);
      }
    }
    log(`${name} round ${round}: ${JSON.stringify(results.slice(-targets.length))}`);
  }
  return results;
}

interface StartupRun {
  target: Target;
  round: number;
  /** The page's play() call → first frame. */
  startupMs: number;
  /** Element play() → first frame (the e2e ground truth: video.js calls it once the source is loading). */
  groundTruthMs: number;
  /** The SDK's startupTimeMs (sdk only). */
  reportedMs?: number;
  phases: StartupPhases;
}

async function startupRuns(browser: Browser, pages: Pages, stack: BenchStack): Promise<StartupRun[]> {
  return rotated('startup', ROUNDS, TARGETS, { browser, pages, stack }, async (page, target, round) => {
    const truth = await waitForFirstFrame(page.page);
    const run: StartupRun = {
      target,
      round,
      startupMs: round1((truth.firstFrameAt ?? 0) - (truth.callAt ?? 0)) ?? 0,
      groundTruthMs: round1((truth.firstFrameAt ?? 0) - (truth.elementPlayAt ?? 0)) ?? 0,
      phases: await startupPhases(page.page),
    };
    if (target === 'sdk') run.reportedMs = await reportedStartupMs(page.page);
    return run;
  });
}

interface HeartbeatRun {
  target: Target;
  round: number;
  windowS: number;
  /** Main-thread time per 10 s of steady playback. */
  taskMsPer10s: number;
  scriptMsPer10s: number;
  /** CPU profile (200 µs sampling, both targets): time with an SDK function on the stack, per 10 s. */
  sdkProfileMsPer10s: number;
  beaconsInWindow?: number;
}

async function heartbeatRuns(browser: Browser, pages: Pages, stack: BenchStack): Promise<HeartbeatRun[]> {
  return rotated(
    'heartbeat',
    HEARTBEAT_ROUNDS,
    ['sdk', 'bare'],
    { browser, pages, stack },
    async ({ page, cdp }, target, round) => {
      await waitForFirstFrame(page);
      // Past startup (the buffer's first fill, the rendition settling) into steady playback.
      await sleep(5000);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      const before = await mainThread(cdp);
      const beaconsBefore = (await benchGlobals(page)).beacons;
      const t0 = performance.now();
      await sleep(HEARTBEAT_WINDOW_S * 1000);
      const after = await mainThread(cdp);
      const windowS = (performance.now() - t0) / 1000;
      const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
      if (TRACE_DIR)
        await writeFile(`${TRACE_DIR}/heartbeat-${target}-${round}.cpuprofile`, JSON.stringify(profile));
      const per10s = (ms: number): number => round1((ms / windowS) * 10) ?? 0;
      return {
        target,
        round,
        windowS: round1(windowS) ?? 0,
        taskMsPer10s: per10s(after.taskMs - before.taskMs),
        scriptMsPer10s: per10s(after.scriptMs - before.scriptMs),
        sdkProfileMsPer10s: per10s(attribute(profile).sdkInclusiveMs),
        ...(target === 'sdk' ? { beaconsInWindow: (await benchGlobals(page)).beacons - beaconsBefore } : {}),
      };
    },
  );
}

interface LongSession {
  target: Target;
  /** How the page was driven (SessionPage). */
  driver: 'raw-cdp' | 'playwright';
  /** JS heap after GC, at each checkpoint of media time played. */
  heap: {
    mediaMinutes: number;
    wallS: number;
    heapBytes: number;
    segmentRequests: number;
    beacons: number;
    /** The SDK's beacons not yet accepted by the collector (its queue; sdk only). */
    pendingBeacons?: number;
  }[];
  /** Heap snapshots after GC at the first checkpoint past startup and the last: what grew in between. */
  growth: ReturnType<typeof censusGrowth>;
  /** Least-squares slope of the heap over media time, bytes per media minute, after the first checkpoint. */
  slopeBytesPerMediaMinute: number;
  /** The same from LATE_FROM media minutes on: whether the growth goes on once warmed up. */
  lateSlopeBytesPerMediaMinute: number;
  segmentRequests: number;
  postCall?: ReturnType<typeof summary> & { what: string };
}

function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/**
 * What the long session needs of a page. Two ways to drive one: Playwright (whose Network domain
 * keeps DevTools' record of every request, so the heap it reports grows per request in any page,
 * and which can take heap snapshots), or the raw CDP browser (raw-cdp.ts: nothing records requests,
 * the heap a viewer's page has; no snapshots).
 */
interface SessionPage {
  globals(): Promise<BenchGlobals>;
  /** The SDK's queue (sdk only). */
  pendingBeacons(): Promise<number>;
  heapAfterGc(): Promise<number>;
  census?(): Promise<HeapCensus>;
  close(): Promise<void>;
}

const PENDING_BEACONS = `globalThis.streamloop.monitor.getStats().beacons.pending`;

async function playwrightSessionPage(browser: Browser, url: string): Promise<SessionPage> {
  const open = await openPage(browser, url);
  await waitForFirstFrame(open.page);
  return {
    globals: () => benchGlobals(open.page),
    pendingBeacons: () => open.page.evaluate(PENDING_BEACONS) as Promise<number>,
    heapAfterGc: () => heapAfterGc(open.cdp),
    census: () => heapCensus(open.cdp),
    close: () => open.close(),
  };
}

async function rawSessionPage(browser: RawBrowser, url: string): Promise<SessionPage> {
  const page = await browser.newPage(url);
  const globals = () => page.evaluate<BenchGlobals>('globalThis.__bench');
  const until = performance.now() + 60_000;
  // The page may still be loading: __bench appears with its first script.
  while ((await globals().catch(() => undefined))?.firstFrameAt == null) {
    if (performance.now() > until) throw new Error('raw page: no first frame in 60 s');
    await sleep(100);
  }
  return {
    globals,
    pendingBeacons: () => page.evaluate<number>(PENDING_BEACONS),
    heapAfterGc: () => page.heapAfterGc(),
    ...(LONG_CENSUS ? { census: () => heapCensus(page.cdp) } : {}),
    close: () => page.close(),
  };
}

async function longSession(
  open: (url: string) => Promise<SessionPage>,
  driver: 'raw-cdp' | 'playwright',
  pages: Pages,
  stack: BenchStack,
  target: Target,
): Promise<LongSession> {
  const t0 = performance.now();
  const page = await open(
    pages.url({
      ...config(stack, target),
      rate: RATE,
      heartbeatIntervalMs: Math.round(HEARTBEAT_MS / RATE),
      flushIntervalMs: Math.round(5000 / RATE),
    }),
  );
  const heap: LongSession['heap'] = [];
  let lastPostCalls: number[] = [];
  let firstCensus: HeapCensus | undefined;
  let growth: LongSession['growth'] = [];
  let segmentRequests = 0;
  try {
    for (let checkpoint = 0; checkpoint <= LONG_MINUTES; checkpoint += 5) {
      const wallLimit = performance.now() + 20 * 60_000;
      while ((await page.globals()).mediaPlayedS < checkpoint * 60) {
        if (performance.now() > wallLimit)
          throw new Error(`${target}: no progress to ${checkpoint} media minutes`);
        await sleep(500);
      }
      const heapBytes = await page.heapAfterGc();
      const { mediaPlayedS, beacons, postCallMs, segmentRequests: segments } = await page.globals();
      lastPostCalls = postCallMs;
      segmentRequests = segments;
      const pendingBeacons = target === 'sdk' ? await page.pendingBeacons() : undefined;
      heap.push({
        mediaMinutes: round1(mediaPlayedS / 60) ?? 0,
        wallS: round1((performance.now() - t0) / 1000) ?? 0,
        heapBytes,
        segmentRequests,
        beacons,
        ...(pendingBeacons === undefined ? {} : { pendingBeacons }),
      });
      // The first census after the start (buffers, renditions and the SDK's state all set up), the
      // second at the end: what a long session accumulates, by constructor.
      if (page.census) {
        if (checkpoint === 5) firstCensus = await page.census();
        if (checkpoint + 5 > LONG_MINUTES && firstCensus)
          growth = censusGrowth(firstCensus, await page.census());
      }
      log(`long session ${driver} ${target}: ${JSON.stringify(heap.at(-1))}`);
    }
  } finally {
    await page.close();
  }
  return {
    target,
    driver,
    heap,
    growth,
    ...(target === 'sdk'
      ? {
          postCall: {
            ...summary(lastPostCalls),
            what: 'main-thread time of each fetch() call to the collector, ms',
          },
        }
      : {}),
    slopeBytesPerMediaMinute: Math.round(
      slope(heap.slice(1).map((h) => ({ x: h.mediaMinutes, y: h.heapBytes }))),
    ),
    lateSlopeBytesPerMediaMinute: Math.round(
      slope(
        heap.filter((h) => h.mediaMinutes >= LATE_FROM).map((h) => ({ x: h.mediaMinutes, y: h.heapBytes })),
      ),
    ),
    segmentRequests,
  };
}

const PHASES = [
  'elementPlay',
  'masterSent',
  'masterDone',
  'mediaPlaylistSent',
  'mediaPlaylistDone',
  'firstSegmentSent',
  'firstSegmentDone',
  'firstAppend',
  'firstFrame',
] as const;

/** Median of each milestone (ms after play()) per target, and sdk − bare: in which phase time is lost. */
function phaseMedians(runs: StartupRun[]) {
  const medians = (target: Target) => {
    const of = runs.filter((r) => r.target === target);
    const out: Record<string, number | undefined> = {};
    for (const phase of PHASES) {
      const values = of.map((r) => r.phases[phase]).filter((v): v is number => v !== undefined);
      out[phase] = round1(
        percentile(
          values.sort((a, b) => a - b),
          0.5,
        ),
      );
    }
    out.beaconPostsBeforeFrame = Math.max(0, ...of.map((r) => r.phases.beaconPostsBeforeFrame));
    return out;
  };
  const byTarget = Object.fromEntries(TARGETS.map((t) => [t, medians(t)]));
  const sdk = byTarget.sdk;
  const bare = byTarget.bare;
  return {
    what: 'median ms after the page’s play() call (Resource Timing start/end, page marks); beaconPostsBeforeFrame is the most in any run',
    ...byTarget,
    ...(sdk && bare
      ? {
          sdkMinusBare: Object.fromEntries(
            PHASES.map((p) => [p, round1((sdk[p] ?? Number.NaN) - (bare[p] ?? Number.NaN))]),
          ),
        }
      : {}),
  };
}

/** 95% bootstrap interval of median(a) − median(b) (seeded: the same runs give the same interval). */
function bootstrapMedianDiff(a: number[], b: number[], rounds = 4000): [number, number] | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const median = (values: number[]): number => {
    const resampled = values.map(() => values[Math.floor(random() * values.length)] as number);
    return percentile(
      resampled.sort((x, y) => x - y),
      0.5,
    ) as number;
  };
  const diffs = Array.from({ length: rounds }, () => median(a) - median(b)).sort((x, y) => x - y);
  return [round1(diffs[Math.floor(rounds * 0.025)]) ?? 0, round1(diffs[Math.floor(rounds * 0.975)]) ?? 0];
}

/**
 * The SDK's heap on top of video.js alone, run k of each target paired: at the last checkpoint (after
 * GC) and in slope per media minute; the range over the pairs is the interval (VHS grows on its own).
 */
function heapIncrement(long: LongSession[]) {
  const sdk = long.filter((l) => l.target === 'sdk');
  const bare = long.filter((l) => l.target === 'bare');
  const pairs = sdk.slice(0, bare.length).map((s, i) => ({ sdk: s, bare: bare[i] as LongSession }));
  const range = (values: number[]) => ({
    n: values.length,
    mean: Math.round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)),
    min: Math.min(...values),
    max: Math.max(...values),
  });
  return {
    what: 'sdk − bare, paired by run; bytes after forced GC',
    atLastCheckpointBytes: range(
      pairs.map((p) => (p.sdk.heap.at(-1)?.heapBytes ?? 0) - (p.bare.heap.at(-1)?.heapBytes ?? 0)),
    ),
    slopeBytesPerMediaMinute: range(
      pairs.map((p) => p.sdk.slopeBytesPerMediaMinute - p.bare.slopeBytesPerMediaMinute),
    ),
    lateFromMediaMinutes: LATE_FROM,
    lateSlopeBytesPerMediaMinute: range(
      pairs.map((p) => p.sdk.lateSlopeBytesPerMediaMinute - p.bare.lateSlopeBytesPerMediaMinute),
    ),
    // Checkpoint i is the same media minute (i × 5) in every run.
    atCheckpointsBytes: (pairs[0]?.sdk.heap ?? []).map((_, i) => ({
      mediaMinutes: i * 5,
      ...range(pairs.map((p) => (p.sdk.heap[i]?.heapBytes ?? 0) - (p.bare.heap[i]?.heapBytes ?? 0))),
    })),
    sdkSlopes: sdk.map((l) => l.slopeBytesPerMediaMinute),
    bareSlopes: bare.map((l) => l.slopeBytesPerMediaMinute),
    sdkLateSlopes: sdk.map((l) => l.lateSlopeBytesPerMediaMinute),
    bareLateSlopes: bare.map((l) => l.lateSlopeBytesPerMediaMinute),
  };
}

type Pages = Awaited<ReturnType<typeof startPageServer>>;
const config = (stack: BenchStack, target: Target): PageConfig => ({
  target,
  stackUrl: stack.baseUrl,
  videoId: stack.videoId,
  manifestUrl: stack.manifestUrl,
  ...(process.env.BENCH_SDK_OPTIONS ? { sdkOptions: JSON.parse(process.env.BENCH_SDK_OPTIONS) } : {}),
});

async function main(): Promise<void> {
  const uptimeBefore = uptime();
  log(`load before: ${uptimeBefore}`);
  const stack = await startBenchStack();
  log(`stack ${stack.baseUrl}, demo video ${stack.videoId}`);
  const pages = await startPageServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  try {
    // One unrecorded page per target first: the browser's first page pays for starting its renderer
    // and compiling the bundle cold, which no target should be charged for.
    for (const target of TARGETS) {
      const open = await openPage(browser, pages.url(config(stack, target)));
      await waitForFirstFrame(open.page).finally(() => open.close());
      await sleep(SETTLE_MS);
    }
    const traces: StartupTrace[] = [];
    if (TRACE_DIR) {
      for (let run = 1; run <= TRACE_RUNS; run++) {
        for (const target of orderOf(run, TARGETS)) {
          const trace = await traceStartup(browser, pages.url(config(stack, target)), target, TRACE_DIR);
          traces.push(trace);
          log(`trace: ${JSON.stringify(trace)}`);
          await sleep(SETTLE_MS);
        }
      }
    }
    const startup = ROUNDS > 0 ? await startupRuns(browser, pages, stack) : [];
    const heartbeat = HEARTBEAT_ROUNDS > 0 ? await heartbeatRuns(browser, pages, stack) : [];
    const long: LongSession[] = [];
    if (LONG_MINUTES > 0) {
      const raw = LONG_DRIVER === 'raw-cdp' ? await launchRawChromium() : undefined;
      const open = (url: string) =>
        raw === undefined ? playwrightSessionPage(browser, url) : rawSessionPage(raw, url);
      try {
        for (let run = 1; run <= LONG_RUNS; run++)
          for (const target of orderOf(run, ['sdk', 'bare']))
            long.push(await longSession(open, LONG_DRIVER, pages, stack, target));
      } finally {
        await raw?.close();
      }
    }

    const of = <T extends { target: Target }>(runs: T[], target: Target) =>
      runs.filter((r) => r.target === target);
    const startupOf = (target: Target) => summary(of(startup, target).map((r) => r.startupMs));
    const sdkStartup = startupOf('sdk');
    const bareStartup = startupOf('bare');
    const cmcdStartup = startupOf('bare-cmcd');
    const diff = (a: { median?: number; p90?: number }, b: { median?: number; p90?: number }) => ({
      median: round1((a.median ?? 0) - (b.median ?? 0)),
      p90: round1((a.p90 ?? 0) - (b.p90 ?? 0)),
    });
    const reported = of(startup, 'sdk').filter((r) => r.reportedMs !== undefined);
    const heartbeatOf = (target: Target, key: 'taskMsPer10s' | 'scriptMsPer10s' | 'sdkProfileMsPer10s') =>
      percentile(
        of(heartbeat, target)
          .map((r) => r[key])
          .sort((a, b) => a - b),
        0.5,
      ) ?? Number.NaN;
    const results = {
      benchmark: 'player-sdk-cost',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        node: process.version,
        note: 'load says what else ran; read the sdk − bare differences of the same run, not absolute times',
      },
      load: { uptimeBefore, uptimeAfter: uptime() },
      setup: {
        stack:
          'single-process stack on embedded defaults, its demo title (30 s, its published CMAF HLS ladder)',
        page: 'served from http://localhost:<port> (another origin than the stack on 127.0.0.1); 640x360 player; muted; play() called as soon as the source is set',
        startupRounds: ROUNDS,
        targets:
          'sdk: createPlayer; bare: the bundle’s videojs; bare-cmcd: bare with a CMCD query on every request (the origin’s side of CMCD without the SDK)',
        heartbeat: { rounds: HEARTBEAT_ROUNDS, windowS: HEARTBEAT_WINDOW_S, intervalMs: HEARTBEAT_MS },
        longSession: {
          mediaMinutes: LONG_MINUTES,
          playbackRate: RATE,
          heartbeatAndFlushScaledBy: RATE,
          runsPerTarget: LONG_RUNS,
          lateSlopeFromMediaMinutes: LATE_FROM,
          vhs: 'GOAL_BUFFER_LENGTH 6, BACK_BUFFER_LENGTH 2, loop',
        },
      },
      startup: {
        what: 'play() called by the page → first presented frame (requestVideoFrameCallback), ms',
        sdk: sdkStartup,
        bare: bareStartup,
        bareCmcd: cmcdStartup,
        overheadMs: {
          sdkVsBare: {
            ...diff(sdkStartup, bareStartup),
            medianCi95: bootstrapMedianDiff(
              of(startup, 'sdk').map((r) => r.startupMs),
              of(startup, 'bare').map((r) => r.startupMs),
            ),
          },
          originCmcdVsBare: diff(cmcdStartup, bareStartup),
          sdkVsBareCmcd: diff(sdkStartup, cmcdStartup),
        },
        phases: phaseMedians(startup),
        reportedStartupTimeMs: {
          vsPagePlayCallAbsMs: summary(reported.map((r) => Math.abs((r.reportedMs ?? 0) - r.startupMs))),
          vsElementPlayAbsMs: summary(reported.map((r) => Math.abs((r.reportedMs ?? 0) - r.groundTruthMs))),
        },
      },
      mainThreadPerHeartbeat: {
        sdkTaskMs: heartbeatOf('sdk', 'taskMsPer10s'),
        bareTaskMs: heartbeatOf('bare', 'taskMsPer10s'),
        sdkScriptMs: heartbeatOf('sdk', 'scriptMsPer10s'),
        bareScriptMs: heartbeatOf('bare', 'scriptMsPer10s'),
        overheadTaskMs: round1(heartbeatOf('sdk', 'taskMsPer10s') - heartbeatOf('bare', 'taskMsPer10s')),
        overheadScriptMs: round1(
          heartbeatOf('sdk', 'scriptMsPer10s') - heartbeatOf('bare', 'scriptMsPer10s'),
        ),
        sdkCodeProfileMs: heartbeatOf('sdk', 'sdkProfileMsPer10s'),
      },
      longSession: { sdkMinusBare: heapIncrement(long), runs: long },
      traces: TARGETS.map((target) => {
        const of3 = traces.filter((t) => t.target === target);
        const med = (f: (t: StartupTrace) => number) =>
          percentile(
            of3.map(f).sort((a, b) => a - b),
            0.5,
          );
        return {
          target,
          runs: of3.length,
          medianWindowMs: med((t) => t.windowMs),
          medianMainThreadBusyMs: med((t) => t.mainThreadBusyMs),
          medianSdkInclusiveMs: med((t) => t.sdkInclusiveMs),
          each: of3.map(({ files: _files, ...t }) => t),
        };
      }),
      runs: { startup, heartbeat },
    };
    if (process.env.BENCH_NO_WRITE !== '1')
      await writeFile(
        new URL(`../../results/${process.env.BENCH_RESULTS ?? 'sdk.json'}`, import.meta.url),
        `${JSON.stringify(results, null, 2)}\n`,
      );
    log(JSON.stringify({ startup: results.startup, mainThreadPerHeartbeat: results.mainThreadPerHeartbeat }));
    log(
      JSON.stringify(
        long.map((l) => ({
          target: l.target,
          slope: l.slopeBytesPerMediaMinute,
          lateSlope: l.lateSlopeBytesPerMediaMinute,
          first: l.heap[0]?.heapBytes,
          last: l.heap.at(-1)?.heapBytes,
        })),
      ),
    );
  } finally {
    await browser.close();
    await pages.close();
    await stack.stop();
  }
}

await main();
