/**
 * Beacons the origin makes on the request path, sent to the event log off it through event-log's
 * batching publisher (a named output, `cmcd-beacons`): `add` never waits and never throws, so a slow
 * or absent Kafka can never slow a segment. A batch leaves once `flushCount` wait or
 * `flushIntervalMs` after the first one arrived, ONE publish per batch. Bounded: what does not fit
 * is dropped and counted (`buffer_full`), never silently — CMCD is a measurement, the segment was
 * served anyway, so there is nobody to push back on. `close` publishes what is left and counts
 * what the log never took as `shutdown`.
 */
import type { Logger } from '@streamloop/core/logger';
import { createBatchingPublisher } from '@streamloop/event-log/batching-publisher';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';
import type { DeliveryMetrics } from './delivery-metrics.js';

export interface CmcdBeaconOutputOptions {
  /** Most beacons held at once; beyond it new ones are dropped (`buffer_full`). Default 10 000. */
  maxBuffered?: number;
  /** A publish starts as soon as this many wait; also the most one publish carries. Default 500. */
  flushCount?: number;
  /** ... and at the latest this long after the first one arrived; also the first retry delay. Default 1000 ms. */
  flushIntervalMs?: number;
  /** A publish slower than this counts as failed and is tried again; also how long `close` tries. Default 10 000 ms. */
  publishTimeoutMs?: number;
}

export interface CmcdBeaconOutputDeps extends CmcdBeaconOutputOptions {
  eventLog: Pick<EventLog, 'publish'>;
  topic: string;
  logger: Logger;
  metrics: Pick<DeliveryMetrics, 'cmcdBeaconsPublished' | 'cmcdBeaconsDropped' | 'cmcdPublishFailures'>;
}

export interface CmcdBeaconOutput {
  /** Queues one message; returns at once. */
  add(message: EventMessage): void;
  /** Stops taking messages, publishes what is left, and counts what could not be as dropped. */
  close(): Promise<void>;
  /** Messages waiting. */
  readonly size: number;
}

export function createCmcdBeaconOutput(deps: CmcdBeaconOutputDeps): CmcdBeaconOutput {
  const flushIntervalMs = positive('flushIntervalMs', deps.flushIntervalMs ?? 1000);
  const publishTimeoutMs = positive('publishTimeoutMs', deps.publishTimeoutMs ?? 10_000);
  const { metrics } = deps;
  const output = createBatchingPublisher(
    {
      name: 'cmcd-beacons',
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
      metrics: { published: metrics.cmcdBeaconsPublished, publishFailures: metrics.cmcdPublishFailures },
    },
  );
  return {
    add(message) {
      if (output.offer([message])) return;
      metrics.cmcdBeaconsDropped.inc({ reason: output.closed ? 'shutdown' : 'buffer_full' });
    },
    async close() {
      if (output.closed) return;
      const left = await output.close(publishTimeoutMs);
      if (left > 0) metrics.cmcdBeaconsDropped.inc({ reason: 'shutdown' }, left);
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
