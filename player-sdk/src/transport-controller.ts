/**
 * Batches beacons and delivers them to the collector without ever blocking playback.
 *
 * - a batch leaves when it reaches `maxBatch` beacons, or `flushIntervalMs` after its first beacon;
 * - `text/plain` bodies keep every POST a CORS "simple request" (no preflight round trip);
 * - while the page lives: `fetch(keepalive)`; a 5xx/429 or network failure puts the batch back in
 *   the queue for the next tick (the collector answers 503 when it could not keep them);
 * - when the page is going away: `navigator.sendBeacon`, which the browser finishes after unload,
 *   with `fetch(keepalive)` as the fallback when the beacon queue is full.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';

export type FlushMode = 'normal' | 'unload';

export type FetchLike = (url: string, init: RequestInit) => Promise<{ status: number }>;
export type SendBeaconLike = (url: string, data: Blob) => boolean;

export interface TransportOptions {
  url: string;
  maxBatch?: number;
  flushIntervalMs?: number;
  /** Beacons kept while the collector is unreachable; the oldest are dropped beyond it. */
  maxQueue?: number;
  fetch?: FetchLike;
  sendBeacon?: SendBeaconLike;
}

export interface Transport {
  enqueue(beacon: Beacon): void;
  flush(mode?: FlushMode): void;
  /** Beacons waiting to be sent (queued or put back after a failure). */
  pending(): number;
  /** Beacons given up on because the queue overflowed while the collector was away. */
  dropped(): number;
  destroy(): void;
}

const isRetryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

export function createTransport(options: TransportOptions): Transport {
  const maxBatch = options.maxBatch ?? 10;
  const flushIntervalMs = options.flushIntervalMs ?? 5000;
  const maxQueue = options.maxQueue ?? 500;
  const send: FetchLike | undefined =
    options.fetch ?? (typeof fetch === 'function' ? (url, init) => fetch(url, init) : undefined);
  const sendBeacon: SendBeaconLike | undefined =
    options.sendBeacon ??
    (typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function'
      ? (url, data) => navigator.sendBeacon(url, data)
      : undefined);

  let queue: Beacon[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let droppedCount = 0;
  let retrying = false;
  let destroyed = false;

  const schedule = (): void => {
    if (timer === undefined && queue.length > 0 && !destroyed) {
      timer = setTimeout(() => {
        timer = undefined;
        retrying = false;
        flush('normal');
      }, flushIntervalMs);
    }
  };

  const trim = (): void => {
    const excess = queue.length - maxQueue;
    if (excess > 0) {
      queue.splice(0, excess);
      droppedCount += excess;
    }
  };

  const putBack = (batch: Beacon[]): void => {
    if (destroyed) return;
    queue = [...batch, ...queue];
    trim();
    // Wait for the next tick instead of retrying on every new beacon while the collector is away.
    retrying = true;
    schedule();
  };

  const post = (body: string, batch: Beacon[] | undefined): void => {
    if (send === undefined) return;
    const init: RequestInit = {
      method: 'POST',
      keepalive: true,
      credentials: 'omit',
      headers: { 'content-type': 'text/plain' },
      body,
    };
    try {
      send(options.url, init).then(
        (response) => {
          if (batch && isRetryable(response.status)) putBack(batch);
        },
        () => {
          if (batch) putBack(batch);
        },
      );
    } catch {
      // keepalive quota exceeded or a hostile fetch polyfill: never let delivery break the player.
      if (batch) putBack(batch);
    }
  };

  const beacon = (body: string): boolean => {
    if (sendBeacon === undefined) return false;
    try {
      return sendBeacon(options.url, new Blob([body], { type: 'text/plain' }));
    } catch {
      return false;
    }
  };

  function flush(mode: FlushMode = 'normal'): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    // Take the whole queue first: a batch that fails synchronously goes back for the next tick.
    const taken = queue;
    queue = [];
    for (let i = 0; i < taken.length; i += maxBatch) {
      const batch = taken.slice(i, i + maxBatch);
      const body = JSON.stringify(batch);
      if (mode === 'unload') {
        // The page may never run another task: hand it to the browser, do not wait for an answer.
        if (!beacon(body)) post(body, undefined);
      } else {
        post(body, batch);
      }
    }
  }

  return {
    enqueue(item) {
      if (destroyed) return;
      queue.push(item);
      trim();
      if (queue.length >= maxBatch && !retrying) flush('normal');
      else schedule();
    },
    flush,
    pending: () => queue.length,
    dropped: () => droppedCount,
    destroy() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      destroyed = true;
    },
  };
}
