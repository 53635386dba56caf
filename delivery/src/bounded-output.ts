/**
 * Messages made on the request path (CMCD beacons, experiment exposures), sent to the event log off
 * it through event-log's batching publisher (a named output): `add` never waits and never throws, so
 * a slow or absent Kafka can never slow a segment or a playback answer. A batch leaves once
 * `flushCount` wait or `flushIntervalMs` after the first one arrived, ONE publish per batch.
 * Bounded: what does not fit is dropped and counted (`buffer_full`), never silently — these are
 * measurements, the request was answered anyway, so there is nobody to push back on. `close`
 * publishes what is left and counts what the log never took as `shutdown`.
 */
import type { Logger } from '@streamloop/core/logger';
import type { Counter } from '@streamloop/core/metrics';
import { createBatchingPublisher } from '@streamloop/event-log/batching-publisher';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';

export interface BoundedOutputOptions {
  /** Most messages held at once; beyond it new ones are dropped (`buffer_full`). Default 10 000. */
  maxBuffered?: number;
  /** A publish starts as soon as this many wait; also the most one publish carries. Default 500. */
  flushCount?: number;
  /** ... and at the latest this long after the first one arrived; also the first retry delay. Default 1000 ms. */
  flushIntervalMs?: number;
  /** A publish slower than this counts as failed and is tried again; also how long `close` tries. Default 10 000 ms. */
  publishTimeoutMs?: number;
}

/** Why a message made on the request path never reached the event log. */
export type OutputDropReason = 'buffer_full' | 'shutdown';
export const OUTPUT_DROP_REASONS: readonly OutputDropReason[] = ['buffer_full', 'shutdown'];

export interface BoundedOutputDeps extends BoundedOutputOptions {
  /** The output's name in the publisher's logs. */
  name: string;
  eventLog: Pick<EventLog, 'publish'>;
  topic: string;
  logger: Logger;
  metrics: {
    published: Counter;
    /** Never silent: every message made but not published, by reason. */
    dropped: Counter<'reason'>;
    /** Publish calls that failed or timed out (their messages stay buffered and are sent again). */
    publishFailures: Counter;
  };
}

export interface BoundedOutput {
  /** Queues one message; returns at once. */
  add(message: EventMessage): void;
  /** Stops taking messages, publishes what is left, and counts what could not be as dropped. */
  close(): Promise<void>;
  /** Messages waiting. */
  readonly size: number;
}

export function createBoundedOutput(deps: BoundedOutputDeps): BoundedOutput {
  const flushIntervalMs = positive('flushIntervalMs', deps.flushIntervalMs ?? 1000);
  const publishTimeoutMs = positive('publishTimeoutMs', deps.publishTimeoutMs ?? 10_000);
  const { metrics } = deps;
  const output = createBatchingPublisher(
    {
      name: deps.name,
      topic: deps.topic,
      maxBuffered: positive('maxBuffered', deps.maxBuffered ?? 10_000),
      maxBatch: positive('flushCount', deps.flushCount ?? 500),
      lingerMs: flushIntervalMs,
      retry: { initialDelayMs: flushIntervalMs, maxDelayMs: Math.max(flushIntervalMs, 30_000) },
      publishTimeoutMs,
    },
    {
      eventLog: deps.eventLog,
      logger: deps.logger,
      metrics: { published: metrics.published, publishFailures: metrics.publishFailures },
    },
  );
  return {
    add(message) {
      if (output.offer([message])) return;
      metrics.dropped.inc({ reason: output.closed ? 'shutdown' : 'buffer_full' });
    },
    async close() {
      if (output.closed) return;
      const left = await output.close(publishTimeoutMs);
      if (left > 0) metrics.dropped.inc({ reason: 'shutdown' }, left);
    },
    get size() {
      return output.size;
    },
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}
