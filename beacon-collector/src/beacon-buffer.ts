/**
 * Between the HTTP answer and Kafka: a bounded in-memory buffer drained by one loop that produces
 * batches (kafkajs batches nothing itself). A request's beacons are taken whole or not at all; a
 * full buffer is the signal to answer 503 + Retry-After, so the client keeps them. A batch whose
 * produce fails is retried AS IS — same messages, same order — until the log takes it: the
 * idempotent producer then recognises a resend of a batch that had in fact landed, and nothing that
 * was answered 202 is dropped. `drain()` (on shutdown) stops taking and flushes what is left.
 */
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';
import type { BeaconMetrics } from './beacon-metrics.js';

export interface BeaconBufferOptions {
  topic: string;
  /** Beacons held at most (accepted, not yet produced). At ~600 bytes each, 50k ≈ 30 MB. */
  maxBufferedBeacons: number;
  /** Messages per produce call. */
  maxBatchMessages: number;
  /** How long a partly filled batch waits for company before it is sent. */
  lingerMs: number;
  /** Retry delays after a failed produce: doubling from the first to the ceiling. */
  retryMinMs: number;
  retryMaxMs: number;
}

export interface BeaconBufferDeps {
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
  metrics: Pick<BeaconMetrics, 'buffered' | 'produced' | 'produceFailures' | 'produceDuration'>;
}

export interface BeaconBuffer {
  /** Takes every message or none; false when they do not fit or the buffer is draining. */
  offer(messages: EventMessage[]): boolean;
  /** Accepted and not yet produced. */
  size(): number;
  /** Stops taking; resolves with how many beacons were still unproduced after `timeoutMs` (0: all out). */
  drain(timeoutMs: number): Promise<number>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createBeaconBuffer(options: BeaconBufferOptions, deps: BeaconBufferDeps): BeaconBuffer {
  const { topic, maxBufferedBeacons, maxBatchMessages, lingerMs } = options;
  const { eventLog, logger, metrics } = deps;
  let queue: EventMessage[] = [];
  let inFlight = 0;
  let running: Promise<void> | undefined;
  let draining = false;
  let abandoned = false;
  /** Ends a linger early: shutdown does not wait for a batch to fill. */
  let wake: (() => void) | undefined;

  const linger = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, lingerMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const size = () => queue.length + inFlight;

  async function produce(batch: EventMessage[]): Promise<void> {
    for (let attempt = 0; !abandoned; attempt++) {
      const endTimer = metrics.produceDuration.startTimer();
      try {
        await eventLog.publish(topic, batch);
        endTimer();
        metrics.produced.inc(batch.length);
        return;
      } catch (err) {
        metrics.produceFailures.inc();
        const retryInMs = Math.min(options.retryMaxMs, options.retryMinMs * 2 ** attempt);
        logger[attempt < 3 ? 'warn' : 'error'](
          {
            topic,
            beacons: batch.length,
            buffered: size(),
            attempt: attempt + 1,
            retryInMs,
            reason: reasonOf(err),
          },
          'beacon batch not produced; retrying it',
        );
        await delay(retryInMs);
      }
    }
  }

  async function run(): Promise<void> {
    while (queue.length > 0 && !abandoned) {
      // Under load the queue refills while a produce is in flight; lingering only helps a trickle.
      if (queue.length < maxBatchMessages && lingerMs > 0 && !draining) await linger();
      const batch = queue.slice(0, maxBatchMessages);
      queue = queue.slice(batch.length);
      inFlight = batch.length;
      await produce(batch);
      inFlight = 0;
      metrics.buffered.set(size());
    }
    running = undefined;
  }

  return {
    offer(messages) {
      if (draining || size() + messages.length > maxBufferedBeacons) return false;
      for (const message of messages) queue.push(message);
      metrics.buffered.set(size());
      running ??= run();
      return true;
    },
    size,
    async drain(timeoutMs) {
      draining = true;
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
        abandoned = true;
        logger.error({ topic, beacons: left }, 'shutting down with beacons the event log never took');
      }
      return left;
    },
  };
}
