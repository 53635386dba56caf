/**
 * Where the time between play() and the first frame goes: one run per target with a Chromium
 * performance trace (CDP Tracing) and a V8 CPU profile (CDP Profiler, 250 µs sampling) over the page's
 * life. The page marks its play() call and the first frame (User Timing), which bound the window:
 *
 * - `mainThreadBusyMs`: top-level tasks on the renderer's main thread inside the window;
 * - `selfMsBySource`: CPU profile self time inside the window, attributed through the bundle's source
 *   map (player-sdk's build writes dist/streamloop-player.min.js.map) to each SDK file, @svta/cml-cmcd,
 *   video.js with VHS, or V8's own (GC, program, idle).
 *
 * The raw trace and profile go to the given directory (load them in DevTools' Performance panel).
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { waitForFirstFrame } from './measure.js';
import type { Target } from './pages.js';
import { type SourceLookup, sourceLookup } from './source-map.js';

export interface StartupTrace {
  target: Target;
  windowMs: number;
  mainThreadBusyMs: number;
  /** CPU profile time with an SDK function anywhere on the stack (what it calls in video.js included). */
  sdkInclusiveMs: number;
  /** Self time by origin of the code, ms, largest first. */
  selfMsBySource: Record<string, number>;
  /** Milestones on the way to the first frame, ms after the page's play() call. */
  phases: Phases;
  /** Every network request started before the first frame: its path's tail, method and times (ms after play()). */
  requests: { what: string; method: string; sentMs: number; responseMs?: number; finishedMs?: number }[];
  /** Main-thread tasks of 5 ms or more inside the window: start (ms after play()) and length. */
  longTasks: { atMs: number; ms: number }[];
  files: string[];
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: {
    name?: string;
    data?: { requestId?: string; url?: string; requestMethod?: string; finishTime?: number };
  };
}

export interface Phases {
  elementPlay?: number;
  firstPlaylistSent?: number;
  firstPlaylistDone?: number;
  mediaPlaylistSent?: number;
  mediaPlaylistDone?: number;
  firstSegmentSent?: number;
  firstSegmentResponse?: number;
  firstSegmentDone?: number;
  firstAppend?: number;
  firstFrame: number;
}

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
export interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'blink.user_timing',
  'v8.execute',
  'disabled-by-default-devtools.timeline',
].join(',');

let lookup: SourceLookup | undefined;
function bundleSources(): SourceLookup | undefined {
  if (lookup) return lookup;
  const sdkRoot = path.dirname(createRequire(import.meta.url).resolve('@streamloop/player-sdk/package.json'));
  try {
    lookup = sourceLookup(
      JSON.parse(readFileSync(path.join(sdkRoot, 'dist/streamloop-player.min.js.map'), 'utf8')) as {
        sources: string[];
        mappings: string;
      },
    );
  } catch {
    lookup = undefined;
  }
  return lookup;
}

function origin(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName ? `(${frame.functionName.replace(/[()]/g, '')})` : '(anonymous)';
  if (!frame.url.includes('streamloop-player'))
    return frame.url.startsWith('http://localhost') ? 'page' : frame.url;
  const source = bundleSources()?.sourceAt(frame.lineNumber, frame.columnNumber);
  if (source === undefined) return 'bundle (no source map)';
  // The map's sources are relative to player-sdk/dist: `../src/monitor.ts`, `../../node_modules/…`.
  const sdk = source.includes('node_modules') ? null : /(?:^|\/)src\/([\w.-]+)$/.exec(source);
  if (sdk) return `sdk/${sdk[1]}`;
  if (source.includes('cml-cmcd') || source.includes('@svta')) return '@svta/cml-cmcd';
  return 'video.js + VHS';
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * CPU profile time inside [from, to] (µs, the trace clock): self time by origin of the code, and the
 * time with any SDK function on the stack.
 */
export function attribute(
  profile: Profile,
  from = Number.NEGATIVE_INFINITY,
  to = Number.POSITIVE_INFINITY,
): { selfMsBySource: Record<string, number>; sdkInclusiveMs: number } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inSdk = new Map<number, boolean>();
  const sdkOnStack = (id: number): boolean => {
    const known = inSdk.get(id);
    if (known !== undefined) return known;
    const node = nodes.get(id);
    const up = parent.get(id);
    const result =
      node !== undefined &&
      (origin(node.callFrame).startsWith('sdk/') || origin(node.callFrame) === '@svta/cml-cmcd')
        ? true
        : up === undefined
          ? false
          : sdkOnStack(up);
    inSdk.set(id, result);
    return result;
  };
  const self: Record<string, number> = {};
  let sdkUs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const next = t + (profile.timeDeltas[i + 1] ?? 0);
    if (next <= from || t >= to) continue;
    const id = profile.samples[i] ?? -1;
    const node = nodes.get(id);
    if (!node) continue;
    const us = Math.min(next, to) - Math.max(t, from);
    const key = origin(node.callFrame);
    self[key] = (self[key] ?? 0) + us / 1000;
    if (sdkOnStack(id)) sdkUs += us;
  }
  return {
    selfMsBySource: Object.fromEntries(
      Object.entries(self)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([k, v]) => [k, round1(v)]),
    ),
    sdkInclusiveMs: round1(sdkUs / 1000),
  };
}

export async function traceStartup(
  browser: Browser,
  url: string,
  target: Target,
  dir: string,
): Promise<StartupTrace> {
  await mkdir(dir, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const events: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', (data) => {
      events.push(...(data.value as unknown as TraceEvent[]));
    });
    const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
    await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReportEvents' });
    await cdp.send('Profiler.start');
    await page.goto(url);
    await waitForFirstFrame(page);
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
    await cdp.send('Tracing.end');
    await complete;

    const mark = (name: string) =>
      events.find((e) => e.cat.includes('blink.user_timing') && e.name === name)?.ts;
    const from = mark('bench-call');
    const to = mark('bench-first-frame');
    if (from === undefined || to === undefined)
      throw new Error(`${target}: the page's marks are not in the trace`);
    const mainThread =
      events.find(
        (e) =>
          e.ph === 'M' &&
          e.name === 'thread_name' &&
          e.args?.name === 'CrRendererMain' &&
          events.some((x) => x.pid === e.pid && x.tid === e.tid && x.name === 'bench-call'),
      ) ?? events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    let busy = 0;
    for (const e of events) {
      if (e.ph !== 'X' || e.name !== 'RunTask' || e.dur === undefined) continue;
      if (mainThread && (e.pid !== mainThread.pid || e.tid !== mainThread.tid)) continue;
      busy += Math.max(0, Math.min(e.ts + e.dur, to) - Math.max(e.ts, from));
    }

    const { phases, requests, longTasks } = milestones(events, mark, from, to, mainThread);
    const { selfMsBySource, sdkInclusiveMs } = attribute(profile, from, to);
    const stamp = `${target}-${Date.now()}`;
    const files = [
      path.join(dir, `startup-${stamp}.trace.json`),
      path.join(dir, `startup-${stamp}.cpuprofile`),
    ];
    await writeFile(files[0] as string, JSON.stringify({ traceEvents: events }));
    await writeFile(files[1] as string, JSON.stringify(profile));
    return {
      target,
      windowMs: Math.round((to - from) / 100) / 10,
      mainThreadBusyMs: Math.round(busy / 100) / 10,
      sdkInclusiveMs,
      selfMsBySource,
      phases,
      requests,
      longTasks,
      files,
    };
  } finally {
    await context.close();
  }
}

/** The tail of a request's path without its query: `index.m3u8`, `720p/seg-1.m4s`, `v1/beacons`. */
const tail = (url: string): string => url.split('?')[0]?.split('/').slice(-2).join('/') ?? url;
const isPlaylist = (url: string): boolean => /\.m3u8(\?|$)/.test(url);
const isSegment = (url: string): boolean => /\.(m4s|mp4|ts)(\?|$)/.test(url);

/** Request, append and task milestones from the trace (devtools.timeline), relative to play(). */
function milestones(
  events: TraceEvent[],
  mark: (name: string) => number | undefined,
  from: number,
  to: number,
  mainThread: TraceEvent | undefined,
): Pick<StartupTrace, 'phases' | 'requests' | 'longTasks'> {
  const ms = (ts: number | undefined): number | undefined =>
    ts === undefined ? undefined : round1((ts - from) / 1000);
  const byId = new Map<string, StartupTrace['requests'][number] & { url: string }>();
  for (const e of events) {
    const data = e.args?.data;
    const id = data?.requestId;
    if (id === undefined) continue;
    if (e.name === 'ResourceSendRequest' && data?.url && e.ts <= to && !byId.has(id))
      byId.set(id, {
        url: data.url,
        what: tail(data.url),
        method: data.requestMethod ?? 'GET',
        sentMs: ms(e.ts) ?? 0,
      });
  }
  for (const e of events) {
    const request = byId.get(e.args?.data?.requestId ?? '');
    if (request === undefined) continue;
    if (e.name === 'ResourceReceiveResponse' && request.responseMs === undefined)
      request.responseMs = ms(e.ts);
    if (e.name === 'ResourceFinish' && request.finishedMs === undefined) request.finishedMs = ms(e.ts);
  }
  const requests = [...byId.values()].sort((a, b) => a.sentMs - b.sentMs);
  const playlists = requests.filter((r) => isPlaylist(r.url));
  const segment = requests.find((r) => isSegment(r.url));
  const longTasks: StartupTrace['longTasks'] = [];
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== 'RunTask' || e.dur === undefined || e.dur < 5000) continue;
    if (mainThread && (e.pid !== mainThread.pid || e.tid !== mainThread.tid)) continue;
    if (e.ts + e.dur < from || e.ts > to) continue;
    longTasks.push({ atMs: ms(e.ts) ?? 0, ms: round1(e.dur / 1000) });
  }
  return {
    phases: {
      elementPlay: ms(mark('bench-element-play')),
      firstPlaylistSent: playlists[0]?.sentMs,
      firstPlaylistDone: playlists[0]?.finishedMs,
      mediaPlaylistSent: playlists[1]?.sentMs,
      mediaPlaylistDone: playlists[1]?.finishedMs,
      firstSegmentSent: segment?.sentMs,
      firstSegmentResponse: segment?.responseMs,
      firstSegmentDone: segment?.finishedMs,
      firstAppend: ms(mark('bench-first-append')),
      firstFrame: ms(to) ?? 0,
    },
    requests: requests.map(({ url: _url, ...r }) => r),
    longTasks,
  };
}
