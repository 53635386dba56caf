/**
 * One page in its own browser context (no shared cache), and what the bench reads from it through
 * the page and through CDP.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import type { BenchGlobals, PageConfig } from './pages.js';
import type { RawCdp } from './raw-cdp.js';

export interface OpenPage {
  page: Page;
  context: BrowserContext;
  cdp: CDPSession;
  close(): Promise<void>;
}

export async function openPage(browser: Browser, url: string): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => process.stdout.write(`page error: ${err.message}\n`));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await page.goto(url);
  return { page, context, cdp, close: () => context.close() };
}

export const benchGlobals = (page: Page): Promise<BenchGlobals> =>
  page.evaluate(() => (globalThis as unknown as { __bench: BenchGlobals }).__bench);

export async function waitForFirstFrame(page: Page): Promise<BenchGlobals> {
  await page.waitForFunction(
    () => (globalThis as unknown as { __bench: BenchGlobals }).__bench.firstFrameAt !== null,
    undefined,
    { timeout: 60_000, polling: 50 },
  );
  return benchGlobals(page);
}

/** What the SDK reports as this view's startup time (the value its firstframe beacon carries). */
export async function reportedStartupMs(page: Page): Promise<number> {
  const handle = await page.waitForFunction(
    () =>
      (
        globalThis as unknown as {
          streamloop: { monitor: { getStats(): { startupTimeMs?: number } } };
        }
      ).streamloop.monitor.getStats().startupTimeMs,
    undefined,
    { timeout: 30_000, polling: 50 },
  );
  return (await handle.jsonValue()) as number;
}

/**
 * Milestones between the page's play() call and the first frame, ms after the call, from the page's
 * marks and the Resource Timing entries (start and end of each request; the stack's responses carry no
 * Timing-Allow-Origin, so nothing finer). The same in every target: where an overhead appears.
 */
export interface StartupPhases {
  elementPlay?: number;
  masterSent?: number;
  masterDone?: number;
  mediaPlaylistSent?: number;
  mediaPlaylistDone?: number;
  firstSegmentSent?: number;
  firstSegmentDone?: number;
  firstAppend?: number;
  firstFrame?: number;
  /** Requests to the collector that began before the first frame. */
  beaconPostsBeforeFrame: number;
}

export async function startupPhases(page: Page): Promise<StartupPhases> {
  return page.evaluate(() => {
    const bench = (globalThis as unknown as { __bench: BenchGlobals }).__bench;
    const call = bench.callAt ?? 0;
    const firstFrame = bench.firstFrameAt ?? Number.POSITIVE_INFINITY;
    const at = (t: number | null | undefined): number | undefined =>
      t === null || t === undefined ? undefined : Math.round((t - call) * 10) / 10;
    // Node's lib types lack the DOM's PerformanceResourceTiming; these are the fields read here.
    const entries = (
      performance.getEntriesByType('resource') as unknown as {
        name: string;
        startTime: number;
        responseEnd: number;
      }[]
    ).filter((e) => e.startTime <= firstFrame);
    const playlists = entries.filter((e) => /\.m3u8(\?|$)/.test(e.name));
    const segment = entries.find((e) => /\.(m4s|mp4|ts)(\?|$)/.test(e.name));
    return {
      elementPlay: at(bench.elementPlayAt),
      masterSent: at(playlists[0]?.startTime),
      masterDone: at(playlists[0]?.responseEnd),
      mediaPlaylistSent: at(playlists[1]?.startTime),
      mediaPlaylistDone: at(playlists[1]?.responseEnd),
      firstSegmentSent: at(segment?.startTime),
      firstSegmentDone: at(segment?.responseEnd),
      firstAppend: at(bench.firstAppendAt),
      firstFrame: at(bench.firstFrameAt),
      beaconPostsBeforeFrame: entries.filter((e) => e.name.endsWith('/v1/beacons')).length,
    };
  });
}

export interface MainThread {
  /** Renderer main-thread time, ms: all tasks, and the part spent running script. */
  taskMs: number;
  scriptMs: number;
  heapUsedBytes: number;
}

export async function mainThread(cdp: CDPSession): Promise<MainThread> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name: string): number => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
  return {
    taskMs: get('TaskDuration') * 1000,
    scriptMs: get('ScriptDuration') * 1000,
    heapUsedBytes: get('JSHeapUsedSize'),
  };
}

/** JS heap in use after a full garbage collection. */
export async function heapAfterGc(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

export type { PageConfig };

/** Count and self size of the heap's objects by constructor (closures by function name), after GC. */
export type HeapCensus = Map<string, { count: number; bytes: number }>;

/** What a heap census needs of a CDP session: Playwright's, or raw-cdp.ts' page. */
type HeapCdp = Pick<RawCdp, 'on' | 'off'> & { send(method: string, params?: object): Promise<unknown> };

export async function heapCensus(cdp: CDPSession | HeapCdp): Promise<HeapCensus> {
  const session = cdp as HeapCdp;
  await session.send('HeapProfiler.collectGarbage');
  const chunks: string[] = [];
  const onChunk = ({ chunk }: { chunk: string }) => chunks.push(chunk);
  session.on('HeapProfiler.addHeapSnapshotChunk', onChunk as (params: never) => void);
  try {
    await session.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    session.off('HeapProfiler.addHeapSnapshotChunk', onChunk as (params: never) => void);
  }
  const snapshot = JSON.parse(chunks.join('')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const census: HeapCensus = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt] ?? 0] ?? '?';
    // Objects, closures, arrays and DOM (native) objects by constructor (scopes without their snapshot id: `Context / scope`);
    // strings, code and V8's own structures by their type only (a string's name is its content).
    const named = type === 'object' || type === 'closure' || type === 'array' || type === 'native';
    const key = named
      ? `${type}:${(snapshot.strings[snapshot.nodes[i + nameAt] ?? 0] ?? '?').replace(/ @\d+$/, '')}`
      : type;
    const entry = census.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeAt] ?? 0;
    census.set(key, entry);
  }
  return census;
}

/** What grew between two censuses: the largest growths in bytes, with the change in count. */
export function censusGrowth(
  from: HeapCensus,
  to: HeapCensus,
  top = 8,
): { what: string; countDelta: number; bytesDelta: number }[] {
  return [...to]
    .map(([what, now]) => {
      const before = from.get(what) ?? { count: 0, bytes: 0 };
      return { what, countDelta: now.count - before.count, bytesDelta: now.bytes - before.bytes };
    })
    .sort((a, b) => b.bytesDelta - a.bytesDelta)
    .slice(0, top);
}
