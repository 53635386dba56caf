/**
 * Posts beacons to the collector (`POST <target>/v1/beacons`) the way a careful client does: batches
 * within the collector's limits (beacon-collector mount-collector: 500 beacons, 64 KiB a body),
 * a bounded number in flight, a 5xx/408/429 or network failure retried with exponential backoff and
 * jitter — or after `Retry-After` when the collector says how long (429, 503), which then holds
 * every sender, not just the one that was told. A 4xx is final for its batch. While requests fail,
 * one at a time probes the target. Every failed attempt is counted by cause, and after
 * `maxConsecutiveFailures` in a row the client stops with a one-line reason instead of hammering a
 * target that refuses: at most that many requests, or the concurrency if it is larger.
 */
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { errorOfBody, networkCauseOf, parseJsonBody } from './http-answer.js';

import { RunStoppedError } from './run-context.js';

export interface CollectorClientOptions {
  /** Base URL (`http://127.0.0.1:3000`); beacons go to `${target}/v1/beacons`. */
  target: string;
  maxBeaconsPerBatch?: number;
  maxBodyBytes?: number;
  /** Batches in flight at once. */
  concurrency?: number;
  maxConsecutiveFailures?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
  /** Aborted: the client stops at once (what is queued counts as refused). */
  signal?: AbortSignal;
}

export interface CollectorCounts {
  /** Beacons the collector took (202, and the valid part of a 207). */
  accepted: number;
  /** Beacons given up on: a final 4xx, rejected in a 207, or still queued when the client stopped. */
  refused: number;
  /** Failed attempts by cause ('401', '403', '413', '400 ERR_VALIDATION', '429', '503', '5xx', 'network'); '207 rejected' counts beacons. */
  failures: Record<string, number>;
  requests: number;
  /** Beacons queued or on the wire. */
  inFlight: number;
}

/** Where a run's beacons go: the collector, or a file (ndjson-sink.ts). */
export interface BeaconSink {
  /** Queues beacons; resolves when there is room again. Throws RunStoppedError once stopped. */
  write(beacons: readonly Beacon[]): Promise<void>;
  /** Sends everything queued and waits for it (resolves also when the client stopped). */
  close(): Promise<void>;
  counts(): CollectorCounts;
  /** Why the run must stop, once it must. */
  stopReason(): string | undefined;
}

// The collector's own limits (beacon-collector mount-collector): 500 beacons and 64 KiB a body;
// stay a little below the bytes so a header change never tips a batch over.
export const COLLECTOR_MAX_BEACONS = 500;
export const COLLECTOR_MAX_BODY_BYTES = 60_000;

interface Batch {
  body: string;
  size: number;
}

type Attempt =
  | { kind: 'ok'; accepted: number; rejected: number }
  | { kind: 'retry'; cause: string; afterMs: number | undefined; detail: string }
  | { kind: 'final'; cause: string; detail: string };

export function createCollectorClient(options: CollectorClientOptions): BeaconSink {
  const url = new URL('/v1/beacons', options.target).toString();
  const maxBeacons = Math.min(options.maxBeaconsPerBatch ?? COLLECTOR_MAX_BEACONS, COLLECTOR_MAX_BEACONS);
  const maxBytes = options.maxBodyBytes ?? COLLECTOR_MAX_BODY_BYTES;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxFailures = Math.max(1, options.maxConsecutiveFailures ?? 6);
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 15_000;
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? Math.random;

  const counts: CollectorCounts = { accepted: 0, refused: 0, failures: {}, requests: 0, inFlight: 0 };
  const queue: Batch[] = [];
  let open: string[] = [];
  let openBytes = 2;
  let senders = 0;
  let consecutiveFailures = 0;
  let requestsInFlight = 0;
  let stopReason: string | undefined;
  // Retry-After holds every sender: one 429 means the address is over its limit, not one request.
  let holdUntilMs = 0;
  let wake: (() => void)[] = [];

  const notify = (): void => {
    const waiting = wake;
    wake = [];
    for (const resolve of waiting) resolve();
  };
  const changed = (): Promise<void> => new Promise((resolve) => wake.push(resolve));
  const signal = options.signal;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  const fail = (cause: string): void => {
    counts.failures[cause] = (counts.failures[cause] ?? 0) + 1;
  };

  const seal = (): void => {
    if (open.length === 0) return;
    queue.push({ body: `[${open.join(',')}]`, size: open.length });
    open = [];
    openBytes = 2;
    startSenders();
  };

  const stop = (reason: string): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    for (const batch of queue.splice(0)) {
      counts.refused += batch.size;
      counts.inFlight -= batch.size;
    }
    counts.refused += open.length;
    counts.inFlight -= open.length;
    open = [];
    notify();
  };

  const attempt = async (batch: Batch): Promise<Attempt> => {
    counts.requests++;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: batch.body,
        signal: signal
          ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
          : AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      return { kind: 'retry', cause: 'network', afterMs: undefined, detail: errorText(error) };
    }
    const text = await response.text().catch(() => '');
    if (response.status === 202 || response.status === 207) {
      const body = parseJsonBody(text) as { accepted?: number; rejected?: unknown[] } | undefined;
      const rejected = Array.isArray(body?.rejected) ? body.rejected.length : 0;
      return { kind: 'ok', accepted: body?.accepted ?? batch.size - rejected, rejected };
    }
    const code = errorOfBody(text);
    const detail = `${response.status}${code?.code ? ` ${code.code}` : ''}${code?.message ? `: ${code.message}` : ''}`;
    const status = response.status;
    if (status === 429 || status === 503 || status === 408 || status >= 500) {
      const cause = status >= 500 && status !== 503 ? '5xx' : String(status);
      return { kind: 'retry', cause, afterMs: retryAfterMs(response.headers.get('retry-after')), detail };
    }
    const cause = status === 400 ? `400 ${code?.code ?? 'ERR_BAD_REQUEST'}` : String(status);
    return { kind: 'final', cause, detail };
  };

  const deliver = async (batch: Batch): Promise<void> => {
    for (let tries = 0; stopReason === undefined; tries++) {
      const wait = holdUntilMs - Date.now();
      if (wait > 0) await sleep(wait);
      // While the target is failing, one request at a time probes it; the others wait their turn.
      while (consecutiveFailures > 0 && requestsInFlight > 0 && stopReason === undefined) await changed();
      if (stopReason !== undefined) break;
      requestsInFlight++;
      const result = await attempt(batch).finally(() => {
        requestsInFlight--;
      });
      if (result.kind === 'ok') {
        consecutiveFailures = 0;
        counts.accepted += result.accepted;
        counts.refused += result.rejected;
        if (result.rejected > 0)
          counts.failures['207 rejected'] = (counts.failures['207 rejected'] ?? 0) + result.rejected;
        counts.inFlight -= batch.size;
        return;
      }
      fail(result.cause);
      consecutiveFailures++;
      // Waiters look again only now, with this failure counted (and the stop decided).
      notify();
      if (consecutiveFailures >= maxFailures) {
        stop(
          `the collector at ${url} failed ${consecutiveFailures} requests in a row (last: ${result.detail}); stopped`,
        );
        break;
      }
      if (result.kind === 'final') {
        counts.refused += batch.size;
        counts.inFlight -= batch.size;
        return;
      }
      const backoff = Math.min(retryMaxMs, retryBaseMs * 2 ** tries) * (0.5 + random() / 2);
      const delay = result.afterMs ?? backoff;
      holdUntilMs = Math.max(holdUntilMs, Date.now() + delay);
    }
    counts.refused += batch.size;
    counts.inFlight -= batch.size;
  };

  signal?.addEventListener('abort', () => stop('interrupted: the run was stopped'), { once: true });

  function startSenders(): void {
    while (senders < concurrency && queue.length > 0 && stopReason === undefined) {
      senders++;
      void (async () => {
        try {
          for (
            let batch = queue.shift();
            batch;
            batch = stopReason === undefined ? queue.shift() : undefined
          ) {
            await deliver(batch);
            notify();
          }
        } finally {
          senders--;
          notify();
        }
      })();
    }
  }

  return {
    async write(beacons) {
      if (stopReason !== undefined) throw new RunStoppedError(stopReason);
      for (const beacon of beacons) {
        const json = JSON.stringify(beacon);
        const bytes = Buffer.byteLength(json);
        if (open.length >= maxBeacons || (open.length > 0 && openBytes + bytes + 1 > maxBytes)) seal();
        open.push(json);
        openBytes += bytes + 1;
        counts.inFlight++;
      }
      if (open.length >= maxBeacons) seal();
      // Backpressure: a run produces beacons far faster than any collector takes them.
      while (queue.length >= concurrency * 2 && stopReason === undefined) await changed();
      if (stopReason !== undefined) throw new RunStoppedError(stopReason);
    },
    async close() {
      seal();
      while ((queue.length > 0 || senders > 0) && stopReason === undefined) await changed();
      while (senders > 0) await changed();
    },
    counts: () => ({ ...counts, failures: { ...counts.failures } }),
    stopReason: () => stopReason,
  };
}

/** Seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function errorText(error: unknown): string {
  return `network error (${networkCauseOf(error)})`;
}
