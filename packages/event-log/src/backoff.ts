import type { Ok, Retry } from './step-result.js';

export interface BackoffOptions {
  /** First delay; doubles on each attempt. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 200, maxDelayMs: 30_000 };

/** Exponential with "equal jitter" (AWS architecture blog), so consumers that failed together do not retry in step. */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves or rejects with `work`, or rejects with the signal's reason as soon as it aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs a step that answers ok or retry until it answers ok, waiting a jittered backoff between
 * attempts. An attempt that never answers must not pin the consumer, so the signal ends the wait on
 * the attempt as well as on the delay (rejecting with its reason: the batch stays uncommitted).
 */
export async function retryUntilOk<T>(
  attempt: () => Promise<Ok<T> | Retry>,
  options: {
    backoff: BackoffOptions;
    signal: AbortSignal;
    onRetry(error: unknown, attempt: number, retryInMs: number): void;
  },
): Promise<T> {
  for (let failures = 0; ; failures++) {
    const result = await untilAborted(attempt(), options.signal);
    if (result.kind === 'ok') return result.value;
    const retryInMs = backoffDelayMs(failures, options.backoff);
    options.onRetry(result.error, failures + 1, retryInMs);
    await sleep(retryInMs, options.signal);
  }
}
