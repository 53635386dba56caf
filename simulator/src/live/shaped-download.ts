/**
 * One HTTP GET whose body is paced to a network trace, in the client: the first byte is held until
 * the trace's latency in force when it was sent (playback-model's trace clock), then the body is read
 * from the real response stream and each chunk is held until the trace would have delivered that
 * many bytes since the first byte. Loopback answers far faster than any trace, so the transfer
 * follows the trace; if the stack is slower, the download is simply slower than the trace.
 * While a body is paced the caller is asked, at most every PROGRESS_INTERVAL_MS, whether to give
 * up (VHS' early abort and request timeout).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TraceClock } from '@streamloop/playback-model/trace-clock';

/** A viewer's link: the trace, the real monotonic time (performance.now) its time 0 maps to, its fetch. */
export interface ShapedLink {
  clock: TraceClock;
  originMs: number;
  fetch: typeof fetch;
}

export interface Progress {
  /** Trace ms since the request was sent, and since its first byte. */
  elapsedMs: number;
  sinceFirstByteMs: number;
  /** Bytes received so far (as the trace delivers them). */
  bytes: number;
}

export type DownloadOutcome = 'ok' | 'http-error' | 'aborted' | 'timeout' | 'network-error';

export interface DownloadResult {
  outcome: DownloadOutcome;
  status: number;
  bytes: number;
  /** The body, when asked for (playlists). */
  text?: string;
  /** Trace times (ms since the viewer's start) of send, first byte and end. */
  sentAtMs: number;
  firstByteAtMs: number | undefined;
  endAtMs: number;
}

export interface DownloadOptions {
  headers?: Record<string, string>;
  /** Gives up (outcome `timeout`) this long after sending. */
  timeoutMs: number;
  keepText?: boolean;
  /** A true answer aborts the request (outcome `aborted`). */
  shouldAbort?(progress: Progress): boolean;
  onFirstByte?(status: number): void;
  signal?: AbortSignal;
}

const PROGRESS_INTERVAL_MS = 100;

export function linkNow(link: ShapedLink): number {
  return performance.now() - link.originMs;
}

/** Sleeps until trace time `atMs`; false when the signal fired first. */
async function until(link: ShapedLink, atMs: number, signal: AbortSignal): Promise<boolean> {
  const wait = atMs - linkNow(link);
  if (wait <= 0) return !signal.aborted;
  try {
    await sleep(wait, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export async function shapedGet(
  link: ShapedLink,
  url: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const sentAtMs = linkNow(link);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), options.timeoutMs);
  const onOuterAbort = (): void => controller.abort(new Error('stopped'));
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let bytes = 0;
  // Bytes of the chunk being paced: progress reports what the trace has delivered of them so far.
  let ceiling = 0;
  let firstByteAtMs: number | undefined;
  let status = 0;
  const chunks: Uint8Array[] = [];
  const finish = (outcome: DownloadOutcome): DownloadResult => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    const result: DownloadResult = {
      outcome,
      status,
      bytes,
      sentAtMs,
      firstByteAtMs,
      endAtMs: linkNow(link),
    };
    if (options.keepText && outcome === 'ok') result.text = Buffer.concat(chunks).toString('utf8');
    return result;
  };
  const stopped = (): DownloadResult =>
    finish(
      options.signal?.aborted || controller.signal.reason?.message !== 'timeout' ? 'aborted' : 'timeout',
    );

  // The request leaves at once; its first byte is released no earlier than the trace's latency
  // after sending, so the stack's own response time overlaps the latency instead of adding to it.
  const firstByteNotBefore = sentAtMs + link.clock.latencyMs(sentAtMs);
  let response: Response;
  try {
    response = await link.fetch(url, {
      ...(options.headers ? { headers: options.headers } : {}),
      signal: controller.signal,
    });
  } catch {
    return controller.signal.aborted ? stopped() : finish('network-error');
  }
  if (!(await until(link, firstByteNotBefore, controller.signal))) {
    await response.body?.cancel().catch(() => {});
    return stopped();
  }
  status = response.status;
  firstByteAtMs = linkNow(link);
  options.onFirstByte?.(status);
  const reader = response.body?.getReader();
  const progress = (): Progress => {
    const now = linkNow(link);
    const traceBytes = link.clock.bitsBetween(firstByteAtMs ?? now, now) / 8;
    return {
      elapsedMs: now - sentAtMs,
      sinceFirstByteMs: now - (firstByteAtMs ?? now),
      bytes: Math.max(bytes, Math.min(ceiling, Math.floor(traceBytes))),
    };
  };
  try {
    // Bounded: every turn consumes a chunk of a finite body, and the timer ends the request.
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      const received = bytes + value.byteLength;
      ceiling = received;
      const dueAtMs = link.clock.transferEndMs(firstByteAtMs, received);
      while (linkNow(link) < dueAtMs) {
        const step = Math.min(dueAtMs, linkNow(link) + PROGRESS_INTERVAL_MS);
        if (!(await until(link, step, controller.signal))) {
          bytes = progress().bytes;
          await reader.cancel().catch(() => {});
          return stopped();
        }
        if (options.shouldAbort?.(progress())) {
          bytes = progress().bytes;
          await reader.cancel().catch(() => {});
          return finish('aborted');
        }
      }
      bytes = received;
      if (options.keepText) chunks.push(value);
    }
  } catch {
    return controller.signal.aborted ? stopped() : finish('network-error');
  }
  return finish(status >= 200 && status < 300 ? 'ok' : 'http-error');
}
