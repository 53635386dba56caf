/**
 * Beacons the origin makes on the request path, sent to the event log off it: `add` never waits and
 * never throws, so a slow or absent Kafka can never slow a segment. Flushed when `flushCount` wait
 * or `flushIntervalMs` after the first one arrived, ONE publish per flush (kafkajs does no batching
 * of its own). Bounded: what does not fit is dropped and counted, never silently. A failed publish
 * keeps its beacons (in front, in order) for the next flush; `close` makes a last attempt.
 */
import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';
import type { DeliveryMetrics } from './delivery-metrics.js';

export interface BeaconBufferOptions {
  /** Most beacons held at once; beyond it new ones are dropped (`buffer_full`). Default 10 000. */
  maxBuffered?: number;
  /** A flush starts as soon as this many wait; also the most one publish carries. Default 500. */
  flushCount?: number;
  /** ... and at the latest this long after the first one arrived; also the retry delay. Default 1000 ms. */
  flushIntervalMs?: number;
  /** A publish slower than this counts as failed and is tried again. Default 10 000 ms. */
  publishTimeoutMs?: number;
}

export interface BeaconBufferDeps extends BeaconBufferOptions {
  eventLog: Pick<EventLog, 'publish'>;
  topic: string;
  logger: Logger;
  metrics: Pick<DeliveryMetrics, 'cmcdBeaconsPublished' | 'cmcdBeaconsDropped' | 'cmcdPublishFailures'>;
}

export interface BeaconBuffer {
  /** Queues one message; returns at once. */
  add(message: EventMessage): void;
  /** Publishes what waits now (after any flush already running); never rejects. */
  flush(): Promise<void>;
  /** Stops taking messages, publishes what is left once, and counts what could not be as dropped. */
  close(): Promise<void>;
  /** Messages waiting. */
  readonly size: number;
}

export function createBeaconBuffer(deps: BeaconBufferDeps): BeaconBuffer {
  const maxBuffered = positive('maxBuffered', deps.maxBuffered ?? 10_000);
  const flushCount = positive('flushCount', deps.flushCount ?? 500);
  const flushIntervalMs = positive('flushIntervalMs', deps.flushIntervalMs ?? 1000);
  const publishTimeoutMs = positive('publishTimeoutMs', deps.publishTimeoutMs ?? 10_000);
  const { metrics, logger } = deps;

  let queue: EventMessage[] = [];
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let failing = false;

  const schedule = () => {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, flushIntervalMs);
    // A pending flush must not keep a process alive; close() flushes what is left.
    timer.unref();
  };

  /** One publish of up to `flushCount` messages; false when it failed (the messages are back in front). */
  const publishOnce = async (): Promise<boolean> => {
    const batch = queue.splice(0, flushCount);
    if (batch.length === 0) return true;
    try {
      await withTimeout(
        deps.eventLog.publish(deps.topic, batch),
        publishTimeoutMs,
        () => new Error(`publish took longer than ${publishTimeoutMs} ms`),
      );
    } catch (err) {
      metrics.cmcdPublishFailures.inc();
      if (!failing)
        logger.warn(
          { topic: deps.topic, beacons: batch.length, reason: reasonOf(err) },
          'CMCD beacons not published yet; retrying',
        );
      failing = true;
      queue = batch.concat(queue);
      const overflow = queue.length - maxBuffered;
      if (overflow > 0) {
        queue.length = maxBuffered;
        metrics.cmcdBeaconsDropped.inc({ reason: 'buffer_full' }, overflow);
      }
      return false;
    }
    if (failing) logger.info({ topic: deps.topic }, 'CMCD beacons are being published again');
    failing = false;
    metrics.cmcdBeaconsPublished.inc(batch.length);
    return true;
  };

  const drain = async () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    // Only what is there now: a steady stream of new beacons gets its own flushes.
    let rounds = Math.ceil(queue.length / flushCount);
    while (rounds-- > 0 && queue.length > 0) {
      if (!(await publishOnce())) break;
    }
    if (queue.length > 0) schedule();
  };

  const flush = (): Promise<void> => {
    running ??= drain().finally(() => {
      running = undefined;
      if (queue.length >= flushCount && !closed) void flush();
    });
    return running;
  };

  return {
    add(message) {
      if (closed) {
        metrics.cmcdBeaconsDropped.inc({ reason: 'shutdown' });
        return;
      }
      if (queue.length >= maxBuffered) {
        metrics.cmcdBeaconsDropped.inc({ reason: 'buffer_full' });
        return;
      }
      queue.push(message);
      if (queue.length >= flushCount) void flush();
      else schedule();
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running;
      while (queue.length > 0) {
        if (!(await publishOnce())) break;
      }
      if (queue.length > 0) {
        metrics.cmcdBeaconsDropped.inc({ reason: 'shutdown' }, queue.length);
        logger.warn({ topic: deps.topic, beacons: queue.length }, 'CMCD beacons dropped at shutdown');
        queue = [];
      }
    },
    get size() {
      return queue.length;
    },
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}
