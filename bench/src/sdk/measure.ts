/**
 * One page in its own browser context (no shared cache), and what the bench reads from it through
 * the page and through CDP.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import type { BenchGlobals, PageConfig } from './pages.js';

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
