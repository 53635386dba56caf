/**
 * Debian's Chromium driven over a bare DevTools WebSocket, for the long session's heap. Playwright
 * enables the Network domain on every page it drives, and DevTools then keeps a record of every
 * request the page makes (Blink's NetworkResourcesData, XHRReplayData): heap that grows with each
 * request and that no viewer's browser has. Here nothing enables Network: only Target (a page in its
 * own browser context), Page.navigate and Runtime / HeapProfiler are used.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@streamloop/core/testing';
import WebSocket from 'ws';

/** The part of a CDP session measure.ts' heap census uses: commands and events of this page. */
export interface RawCdp {
  send<T = unknown>(method: string, params?: object): Promise<T>;
  on(event: string, handler: (params: never) => void): void;
  off(event: string, handler: (params: never) => void): void;
}

export interface RawPage {
  cdp: RawCdp;
  /** Evaluates an expression in the page (awaiting a promise it returns); its value by JSON. */
  evaluate<T>(expression: string): Promise<T>;
  /** JS heap in use after two full garbage collections (as measure.ts `heapAfterGc`). */
  heapAfterGc(): Promise<number>;
  close(): Promise<void>;
}

export interface RawBrowser {
  newPage(url: string): Promise<RawPage>;
  close(): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export async function launchRawChromium(): Promise<RawBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'streamloop-raw-chromium-'));
  const child = spawn(
    CHROMIUM_PATH,
    [
      ...CHROMIUM_ARGS,
      '--headless=new',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      '--autoplay-policy=no-user-gesture-required',
      '--mute-audio',
      '--window-size=1280,720',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const endpoint = await devToolsEndpoint(child);
  const socket = new WebSocket(endpoint, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  /** Event handlers by `<sessionId> <method>` (only what a page asks for, e.g. heap snapshot chunks). */
  const handlers = new Map<string, Set<(params: never) => void>>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      method?: string;
      params?: unknown;
      sessionId?: string;
      result?: unknown;
      error?: { message: string };
    };
    if (message.id === undefined) {
      for (const handler of handlers.get(`${message.sessionId} ${message.method}`) ?? [])
        handler(message.params as never);
      return;
    }
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(`CDP: ${message.error.message}`));
    else waiter?.resolve(message.result);
  });
  const send = <T>(method: string, params: object = {}, sessionId?: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  return {
    async newPage(url) {
      const { browserContextId } = await send<{ browserContextId: string }>('Target.createBrowserContext');
      const { targetId } = await send<{ targetId: string }>('Target.createTarget', {
        url: 'about:blank',
        browserContextId,
      });
      const { sessionId } = await send<{ sessionId: string }>('Target.attachToTarget', {
        targetId,
        flatten: true,
      });
      await send('Page.navigate', { url }, sessionId);
      const evaluate = async <T>(expression: string): Promise<T> => {
        const { result, exceptionDetails } = await send<{
          result: { value?: T };
          exceptionDetails?: { text: string; exception?: { description?: string } };
        }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
        if (exceptionDetails)
          throw new Error(`page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
        return result.value as T;
      };
      const cdp: RawCdp = {
        send: (method, params) => send(method, params, sessionId),
        on(event, handler) {
          const key = `${sessionId} ${event}`;
          handlers.set(key, (handlers.get(key) ?? new Set()).add(handler));
        },
        off(event, handler) {
          handlers.get(`${sessionId} ${event}`)?.delete(handler);
        },
      };
      return {
        cdp,
        evaluate,
        async heapAfterGc() {
          await send('HeapProfiler.collectGarbage', {}, sessionId);
          await send('HeapProfiler.collectGarbage', {}, sessionId);
          return (await send<{ usedSize: number }>('Runtime.getHeapUsage', {}, sessionId)).usedSize;
        },
        async close() {
          await send('Target.disposeBrowserContext', { browserContextId });
        },
      };
    },
    async close() {
      socket.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The browser's DevTools WebSocket URL, from the line Chromium prints on stderr. */
function devToolsEndpoint(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${CHROMIUM_PATH} printed no DevTools endpoint in 30 s:\n${seen}`)),
      30_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${CHROMIUM_PATH} exited with ${code}:\n${seen}`)));
  });
}
