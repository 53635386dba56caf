/**
 * Batches beacons and delivers them to the collector without ever blocking playback.
 *
 * - a batch leaves when it holds `maxBatch` beacons, or `flushIntervalMs` after its first beacon,
 *   and is always below `maxBodyBytes` (the browsers' 64 KiB keepalive/sendBeacon limit, with room);
 *   a batch of nothing but heartbeats may wait `heartbeatHoldMs` for company (every POST costs the
 *   page's main thread about a millisecond; steady playback makes one heartbeat per 10 s);
 * - `text/plain` bodies keep every POST a CORS "simple request" (no preflight round trip);
 * - while the page lives: one `fetch(keepalive)` at a time, so batches arrive in order and a
 *   collector in trouble is not hammered. A 5xx, 408, 429 or network failure puts the batch back at
 *   the head of the queue and waits: `Retry-After` when the collector says how long, else an
 *   exponential backoff with jitter (1 s, 2 s, 4 s … 30 s). 4xx answers are final (invalid beacons
 *   would never pass);
 * - when the page is going away: `navigator.sendBeacon` for everything queued, which the browser
 *   finishes after unload, with `fetch(keepalive)` as the fallback when it refuses;
 * - the queue is bounded: past `maxQueue`, heartbeats go first, then the oldest beacons, and
 *   `dropped()` counts them so the monitor can report the loss on its next beacons.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';

export type FlushMode = 'normal' | 'unload';

export interface ResponseLike {
  status: number;
  headers?: { get(name: string): string | null };
}
export type FetchLike = (url: string, init: RequestInit) => Promise<ResponseLike>;
export type SendBeaconLike = (url: string, data: Blob) => boolean;

export interface TransportOptions {
  url: string;
  maxBatch?: number;
  flushIntervalMs?: number;
  /** How long a batch of heartbeats only may wait (default: `flushIntervalMs`, no longer). */
  heartbeatHoldMs?: number;
  /** Beacons kept while the collector is unreachable. */
  maxQueue?: number;
  maxBodyBytes?: number;
  /** First retry delay and the ceiling of the exponential backoff. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** An unanswered POST is given up (and retried) after this long. */
  requestTimeoutMs?: number;
  fetch?: FetchLike;
  sendBeacon?: SendBeaconLike;
  random?: () => number;
}

export interface TransportStats {
  /** Beacons the collector accepted (2xx) or that were handed to sendBeacon. */
  sent: number;
  /** Waiting to be sent: queued, put back after a failure, or on the wire now. */
  pending: number;
  /** Given up on because the queue overflowed while the collector was away. */
  dropped: number;
  /** Failed attempts in a row (0 when the last one went through). */
  failures: number;
}

export interface Transport {
  enqueue(beacon: Beacon): void;
  flush(mode?: FlushMode): void;
  stats(): TransportStats;
  destroy(): void;
}

const isRetryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent. */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - nowMs;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : undefined;
}

const encoder = typeof TextEncoder === 'function' ? new TextEncoder() : undefined;
const byteLength = (text: string): number => encoder?.encode(text).length ?? text.length * 3;

export function createTransport(options: TransportOptions): Transport {
  const maxBatch = options.maxBatch ?? 10;
  const flushIntervalMs = options.flushIntervalMs ?? 5000;
  const heartbeatHoldMs = Math.max(flushIntervalMs, options.heartbeatHoldMs ?? 0);
  const maxQueue = options.maxQueue ?? 500;
  const maxBodyBytes = options.maxBodyBytes ?? 60_000;
  const retryBaseMs = options.retryBaseMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const random = options.random ?? Math.random;
  const send: FetchLike | undefined =
    options.fetch ?? (typeof fetch === 'function' ? (url, init) => fetch(url, init) : undefined);
  const sendBeacon: SendBeaconLike | undefined =
    options.sendBeacon ??
    (typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function'
      ? (url, data) => navigator.sendBeacon(url, data)
      : undefined);

  let queue: Beacon[] = [];
  let inFlight = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending timer fires (Date.now() ms). */
  let timerDueAt = 0;
  let backingOff = false;
  let failures = 0;
  let sent = 0;
  let dropped = 0;
  let destroyed = false;

  const clearTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const wait = (ms: number, then: () => void): void => {
    clearTimer();
    timerDueAt = Date.now() + ms;
    if (!destroyed) timer = setTimeout(then, ms);
  };

  const trim = (): void => {
    while (queue.length > maxQueue) {
      const heartbeat = queue.findIndex((b) => b.event === 'heartbeat');
      queue.splice(heartbeat === -1 ? 0 : heartbeat, 1);
      dropped++;
    }
  };

  /** Takes the next batch off the queue: at most `maxBatch` beacons and `maxBodyBytes`. */
  const nextBatch = (): { batch: Beacon[]; body: string } => {
    const parts: string[] = [];
    let bytes = 2;
    for (const beacon of queue) {
      if (parts.length >= maxBatch) break;
      const part = JSON.stringify(beacon);
      const size = byteLength(part) + 1;
      if (parts.length > 0 && bytes + size > maxBodyBytes) break;
      parts.push(part);
      bytes += size;
    }
    const batch = queue.splice(0, parts.length);
    return { batch, body: `[${parts.join(',')}]` };
  };

  const retryLater = (batch: Beacon[], delayMs: number | undefined): void => {
    queue = [...batch, ...queue];
    trim();
    failures++;
    backingOff = true;
    const backoff = Math.min(retryMaxMs, retryBaseMs * 2 ** (failures - 1));
    // Equal jitter: many players that lost the collector together do not come back together.
    wait(delayMs ?? backoff / 2 + (random() * backoff) / 2, () => {
      backingOff = false;
      pump();
    });
  };

  const post = (batch: Beacon[], body: string): void => {
    if (send === undefined) return;
    inFlight += batch.length;
    let settled = false;
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    const timeout = setTimeout(() => controller?.abort(), requestTimeoutMs);
    const done = (response: ResponseLike | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      inFlight -= batch.length;
      if (destroyed) return;
      if (response === undefined || isRetryable(response.status)) {
        retryLater(batch, retryAfterMs(response?.headers?.get('retry-after'), Date.now()));
        return;
      }
      failures = 0;
      if (response.status < 300) sent += batch.length;
      pump();
    };
    try {
      send(options.url, {
        method: 'POST',
        keepalive: true,
        credentials: 'omit',
        headers: { 'content-type': 'text/plain' },
        body,
        ...(controller ? { signal: controller.signal } : {}),
      }).then(done, () => done(undefined));
    } catch {
      // keepalive quota exceeded or a hostile fetch polyfill: never let delivery break the player.
      done(undefined);
    }
  };

  /** Sends the next batch if nothing is on the wire and no retry is pending; schedules the rest. */
  function pump(full = true): void {
    if (destroyed || inFlight > 0 || backingOff || queue.length === 0) return;
    if (!full && queue.length < maxBatch) {
      // Anything but heartbeats leaves within flushIntervalMs of arriving; heartbeats alone may wait.
      const delay = queue.every((b) => b.event === 'heartbeat') ? heartbeatHoldMs : flushIntervalMs;
      if (timer === undefined || Date.now() + delay < timerDueAt) wait(delay, () => pump());
      return;
    }
    clearTimer();
    const { batch, body } = nextBatch();
    post(batch, body);
  }

  const beacon = (body: string): boolean => {
    if (sendBeacon === undefined) return false;
    try {
      return sendBeacon(options.url, new Blob([body], { type: 'text/plain' }));
    } catch {
      return false;
    }
  };

  function flush(mode: FlushMode = 'normal'): void {
    if (mode === 'normal') {
      pump();
      return;
    }
    // The page may never run another task: hand everything to the browser, retry pending or not.
    clearTimer();
    backingOff = false;
    while (queue.length > 0) {
      const { batch, body } = nextBatch();
      if (beacon(body)) {
        sent += batch.length;
        continue;
      }
      let handed = false;
      try {
        send?.(options.url, {
          method: 'POST',
          keepalive: true,
          credentials: 'omit',
          headers: { 'content-type': 'text/plain' },
          body,
        }).catch(() => {});
        handed = send !== undefined;
      } catch {
        handed = false;
      }
      if (!handed) {
        // The browser's quota for this page is used up: keep them in case the page lives on.
        queue = [...batch, ...queue];
        break;
      }
      sent += batch.length;
    }
  }

  return {
    enqueue(item) {
      if (destroyed) return;
      queue.push(item);
      trim();
      pump(false);
    },
    flush,
    stats: () => ({ sent, pending: queue.length + inFlight, dropped, failures }),
    destroy() {
      clearTimer();
      destroyed = true;
    },
  };
}
