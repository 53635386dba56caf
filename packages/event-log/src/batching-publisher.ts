/**
 * A named output that takes messages off a request path and publishes them in batches (kafkajs
 * batches nothing itself). Bounded: `offer` takes a group of messages whole or not at all and says
 * false when they do not fit — the caller's signal to push back (the collector answers 503 +
 * Retry-After) or to count them as dropped (the origin's CMCD beacons). While the log is
 * unavailable the buffer holds what it took, up to `maxBuffered`.
 *
 * One loop drains the buffer: a batch of at most `maxBatch` leaves as soon as it is full, or
 * `lingerMs` after a partial one started waiting. A batch whose publish fails is retried AS IS —
 * same messages, same order — after a jittered, doubling delay, until the log takes it: Kafka's
 * idempotent producer can then recognise a resend of a batch that had in fact landed, and nothing
 * that was taken is reordered or lost. `close(timeoutMs)` stops taking, publishes what is left
 * without lingering, and reports how many messages the log never took.
 */
import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { type BackoffOptions, backoffDelayMs, sleep } from './backoff.js';
import type { EventLog, EventMessage } from './event-log.js';

export interface BatchingPublisherOptions {
  /** The output's name in logs (`qoe-beacons`, `cmcd-beacons`). */
  name: string;
  topic: string;
  /** Messages held at most (taken, not yet published). */
  maxBuffered: number;
  /** Messages per publish call. */
  maxBatch: number;
  /** How long a partly filled batch waits for company; 0 sends at once. */
  lingerMs: number;
  /** Delays between attempts at a batch the log refused. */
  retry: BackoffOptions;
  /** An attempt slower than this counts as failed (it may still land: the resend is deduplicated). */
  publishTimeoutMs?: number;
}

/** The owner's metrics, each optional: the output keeps the service's metric names. */
export interface BatchingPublisherMetrics {
  buffered?: { set(value: number): void };
  published?: { inc(value?: number): void };
  publishFailures?: { inc(value?: number): void };
  publishDuration?: { startTimer(): () => unknown };
}

export interface BatchingPublisherDeps {
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
  metrics?: BatchingPublisherMetrics;
}

export interface BatchingPublisher {
  /** Takes every message or none; false when they do not fit or the output is closed. */
  offer(messages: EventMessage[]): boolean;
  /** Taken and not yet published (the batch in flight included). */
  readonly size: number;
  readonly closed: boolean;
  /** Stops taking; resolves with how many were still unpublished after `timeoutMs` (0: all out). */
  close(timeoutMs: number): Promise<number>;
}

export function createBatchingPublisher(
  options: BatchingPublisherOptions,
  deps: BatchingPublisherDeps,
): BatchingPublisher {
  for (const key of ['maxBuffered', 'maxBatch'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1)
      throw new Error(`${key} must be a positive integer, got ${options[key]}`);
  }
  if (!(options.lingerMs >= 0)) throw new Error(`lingerMs must be 0 or more, got ${options.lingerMs}`);
  const { name, topic, maxBuffered, maxBatch, lingerMs } = options;
  const { eventLog, logger } = deps;
  const metrics = deps.metrics ?? {};
  let queue: EventMessage[] = [];
  let inFlight = 0;
  let running: Promise<void> | undefined;
  let closed = false;
  // Aborted when close() gives up: ends a retry wait, so no timer outlives the output.
  const abandon = new AbortController();
  /** Ends a linger early: a full batch or shutdown does not wait. */
  let wake: (() => void) | undefined;

  const size = () => queue.length + inFlight;

  const linger = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, lingerMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const attempt = (batch: EventMessage[]): Promise<void> => {
    const publishing = eventLog.publish(topic, batch);
    const { publishTimeoutMs } = options;
    if (publishTimeoutMs === undefined) return publishing;
    return withTimeout(
      publishing,
      publishTimeoutMs,
      () => new Error(`publish took longer than ${publishTimeoutMs} ms`),
    );
  };

  async function publish(batch: EventMessage[]): Promise<void> {
    for (let failures = 0; !abandon.signal.aborted; failures++) {
      const endTimer = metrics.publishDuration?.startTimer();
      try {
        await attempt(batch);
        endTimer?.();
        metrics.published?.inc(batch.length);
        if (failures > 0) logger.info({ output: name, topic }, 'the event log takes messages again');
        return;
      } catch (err) {
        metrics.publishFailures?.inc();
        const retryInMs = backoffDelayMs(failures, options.retry);
        logger[failures < 3 ? 'warn' : 'error'](
          {
            output: name,
            topic,
            messages: batch.length,
            buffered: size(),
            attempt: failures + 1,
            retryInMs,
            reason: reasonOf(err),
          },
          'batch not published; retrying it',
        );
        await sleep(retryInMs, abandon.signal).catch(() => undefined);
      }
    }
  }

  async function run(): Promise<void> {
    while (queue.length > 0 && !abandon.signal.aborted) {
      // Under load the queue refills while a publish is in flight; lingering only helps a trickle.
      if (queue.length < maxBatch && lingerMs > 0 && !closed) await linger();
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight = batch.length;
      await publish(batch);
      inFlight = 0;
      metrics.buffered?.set(size());
    }
    running = undefined;
  }

  return {
    offer(messages) {
      if (closed || size() + messages.length > maxBuffered) return false;
      for (const message of messages) queue.push(message);
      metrics.buffered?.set(size());
      if (queue.length >= maxBatch) wake?.();
      running ??= run();
      return true;
    },
    get size() {
      return size();
    },
    get closed() {
      return closed;
    },
    async close(timeoutMs) {
      closed = true;
      wake?.();
      if (running !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([running, timedOut]);
        clearTimeout(timer);
      }
      const left = size();
      if (left > 0) {
        abandon.abort(new Error(`the ${name} output is closed`));
        logger.error(
          { output: name, topic, messages: left },
          'closing with messages the event log never took',
        );
      }
      return left;
    },
  };
}
