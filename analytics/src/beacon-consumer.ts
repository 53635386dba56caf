/**
 * QoE beacons from the event log into ClickHouse (`beacons_v1`), at least once, counted once.
 *
 * Each batch (one partition, in order) runs through small steps: parse the collector's envelope,
 * validate the beacon, map it to a row. Each returns a step result, so bad data is never a crash: a
 * poison message (not JSON, not an envelope, not a qoe.beacon.v1) goes to the dead-letter output
 * with its reason, a value a column cannot hold is dropped; both are counted by reason. Then ONE
 * insert of the batch's rows (one Native block of the columns its beacons have, beacons-table.ts;
 * its materialized views dedup a retried block too, migrations/008). The event log commits the offsets only after the batch is handled,
 * i.e. after the letters and the insert. A crash between insert and commit redelivers the batch;
 * its insert carries the same `insert_deduplication_token`, so ClickHouse keeps the first copy only
 * (its letters are written again: a dead letter is at least once). Queries deduplicate on
 * beacon_id as well (a redelivery cut at other boundaries gets another token).
 *
 * Batches form by size and time: the log fetch waits up to `batchWindow.maxWaitMs` for
 * `batchWindow.minBytes` (Kafka's fetch.min.bytes / fetch.max.wait.ms) and takes up to
 * `batchWindow.maxBytesPerPartition` of a partition, and a batch holds at most `maxBatchSize`
 * messages: big blocks are what makes ClickHouse's insert cheap per row. Rejoining after a crash, the watchdog and the lag gauge are event-log's
 * supervised consumer.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TOPICS } from '@streamloop/core/topics';
import { type BackoffOptions, DEFAULT_BACKOFF } from '@streamloop/event-log/backoff';
import type { ConsumerWatchdogOptions } from '@streamloop/event-log/consumer-watchdog';
import { createDeadLetterOutput } from '@streamloop/event-log/dead-letter-output';
import type { Batch, ConsumedMessage, EventLog, SubscribeOptions } from '@streamloop/event-log/event-log';
import type { DeadLetter, Drop, Ok } from '@streamloop/event-log/step-result';
import { type BatchContext, createSupervisedConsumer } from '@streamloop/event-log/supervised-consumer';
import { createBeaconConsumerMetrics } from './beacon-consumer-metrics.js';
import type { DropReason } from './beacon-reasons.js';
import { compactBeaconRowStep } from './beacon-row-step.js';
import {
  type BeaconsTable,
  type BeaconsTarget,
  type CompactBeaconRow,
  createBeaconsTable,
} from './beacons-table.js';
import { insertBeaconsStep } from './insert-beacons-step.js';
import { insertUntilDone } from './insert-until-done.js';
import { parseEnvelopeStep } from './parse-envelope-step.js';
import { createValidateBeaconStep } from './validate-beacon-step.js';

export interface BeaconConsumerDeps {
  eventLog: EventLog;
  analyticsStore: BeaconsTarget;
  logger: Logger;
  registry: Registry;
  groupId?: string;
  maxBatchSize?: number;
  /** Defaults to `TOPICS.qoeBeacons.name`; tests on a shared Kafka pass a topic of their own. */
  topic?: string;
  /** Defaults to `TOPICS.deadLetter.name`. */
  deadLetterTopic?: string;
  /** Delays between retried inserts and between resubscriptions after a crash. */
  backoff?: BackoffOptions;
  /** The output the rows go to; defaults to `beacons_v1` of `analyticsStore`. */
  beaconsTable?: BeaconsTable;
  batchWindow?: BatchWindow;
  /** Partitions whose batches are handled at once (Kafka); see DEFAULT_CONCURRENT_PARTITIONS. */
  concurrentPartitions?: number;
  watchdog?: ConsumerWatchdogOptions;
}

export type BatchWindow = NonNullable<SubscribeOptions['batchWindow']>;

/**
 * ~0.4 KB a beacon on the topic: a fetch returns once ~600 beacons wait, or after 1 s with whatever
 * there is; and takes up to ~20k beacons of a partition. Block size is most of ClickHouse's insert
 * cost (chdb, beacons_v1 with its view: 2,000-row blocks ~5× slower per row than 20,000-row ones), and
 * kafkajs's 1 MiB per partition capped a block at ~2,200 beacons.
 */
export const DEFAULT_BATCH_WINDOW: BatchWindow = {
  minBytes: 256 * 1024,
  maxWaitMs: 1000,
  maxBytesPerPartition: 8 * 1024 * 1024,
  maxBytes: 32 * 1024 * 1024,
};

/** Messages per insert; the fetch's byte limits above bound a batch first on Kafka. */
export const DEFAULT_MAX_BATCH_MESSAGES = 20_000;

/**
 * Two batches in flight: while ClickHouse writes one partition's block (off the JavaScript thread:
 * chdb runs the query on a libuv worker, a server in its own process), the next partition's
 * messages are parsed and encoded. Each partition still commits only after its own insert.
 */
export const DEFAULT_CONCURRENT_PARTITIONS = 2;

export interface BeaconConsumer {
  /** Resolves once subscribed (the group joined); beacons published from then on are consumed. */
  start(): Promise<void>;
  /** Finishes and commits the batch in flight (or abandons a retry loop, uncommitted), then leaves. */
  stop(): Promise<void>;
}

/**
 * The batch's place in the log plus a digest of its content. The offsets make a redelivered batch
 * match its first attempt; the digest keeps a batch that only REUSES the offsets from being taken for
 * a duplicate: the embedded log starts every partition at offset 0 on each process start, while
 * chdb keeps the table's last 1000 tokens on disk (a recreated Kafka topic does the same).
 */
export function dedupTokenOf(batch: Batch): string {
  const first = batch.messages[0]?.offset ?? '';
  const last = batch.messages.at(-1)?.offset ?? '';
  const digest = createHash('sha256');
  for (const message of batch.messages) digest.update(message.value).update('\u0000');
  return `${batch.topic}:${batch.partition}:${first}-${last}:${digest.digest('hex').slice(0, 16)}`;
}

export type BeaconResult = Ok<CompactBeaconRow> | Drop<DropReason> | DeadLetter<DropReason>;

/**
 * A message of the topic as one result per beacon it carries (its row, or why not), or one result
 * for a poison message. "Message → envelopes" is `parseEnvelopeStep` (core's one decoder of both
 * shapes on the topic: one beacon, or a collector's `qoe.beacon-batch.v1`).
 */
export function createBeaconRowMapper(): (message: ConsumedMessage) => BeaconResult[] {
  const validateBeacon = createValidateBeaconStep();
  return (message) => {
    const parsed = parseEnvelopeStep(message);
    if (parsed.kind !== 'ok') return [parsed];
    return parsed.value.map((envelope) => {
      const received = validateBeacon(envelope);
      return received.kind === 'ok' ? compactBeaconRowStep(received.value, message) : received;
    });
  };
}

export function createBeaconConsumer(deps: BeaconConsumerDeps): BeaconConsumer {
  const { eventLog, logger, groupId = 'analytics', maxBatchSize = DEFAULT_MAX_BATCH_MESSAGES } = deps;
  const topic = deps.topic ?? TOPICS.qoeBeacons.name;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const table = deps.beaconsTable ?? createBeaconsTable(deps.analyticsStore);
  const metrics = createBeaconConsumerMetrics(deps.registry);
  const deadLetters = createDeadLetterOutput({
    eventLog,
    service: 'analytics',
    ...(deps.deadLetterTopic === undefined ? {} : { topic: deps.deadLetterTopic }),
  });

  const toRows = createBeaconRowMapper();

  async function insertRows(rows: CompactBeaconRow[], dedupToken: string, context: BatchContext) {
    const attempt = async () => {
      const endTimer = metrics.insertDuration.startTimer();
      const result = await insertBeaconsStep(table, rows, dedupToken);
      if (result.kind === 'ok') endTimer();
      return result;
    };
    const inserted = await insertUntilDone(attempt, {
      backoff,
      context,
      logger,
      retries: metrics.insertRetries,
      dedupToken,
      noun: 'beacon',
    });
    metrics.inserted.inc(inserted);
  }

  async function handleBatch(batch: Batch, context: BatchContext): Promise<void> {
    const rows: CompactBeaconRow[] = [];
    const refused: Partial<Record<DropReason, number>> = {};
    let example: { offset: string; reason: DropReason; detail: string } | undefined;
    for (const message of batch.messages) {
      for (const result of toRows(message)) {
        if (result.kind === 'ok') {
          rows.push(result.value);
          continue;
        }
        // Written before the offsets are committed; a failed write crashes the batch (redelivered).
        if (result.kind === 'dead_letter') await deadLetters.send(message, result.reason, result.detail);
        metrics.dropped.inc({ reason: result.reason });
        refused[result.reason] = (refused[result.reason] ?? 0) + 1;
        example ??= { offset: message.offset, reason: result.reason, detail: result.detail };
      }
    }
    if (example !== undefined) {
      // One line per batch, not per message: a flood of garbage must not flood the log.
      logger.warn(
        {
          topic: batch.topic,
          partition: batch.partition,
          refused,
          example,
          deadLetterTopic: deadLetters.topic,
        },
        'beacon messages not inserted (poison ones are on the dead-letter topic)',
      );
    }
    if (rows.length > 0) await insertRows(rows, dedupTokenOf(batch), context);
  }

  return createSupervisedConsumer({
    eventLog,
    logger,
    registry: deps.registry,
    name: { service: 'analytics', noun: 'beacon_consumer' },
    groupId,
    topic,
    // A new group starts at the oldest retained beacon: those sent before analytics first ran count too.
    fromBeginning: true,
    maxBatchSize,
    batchWindow: deps.batchWindow ?? DEFAULT_BATCH_WINDOW,
    concurrentPartitions: deps.concurrentPartitions ?? DEFAULT_CONCURRENT_PARTITIONS,
    backoff,
    ...(deps.watchdog === undefined ? {} : { watchdog: deps.watchdog }),
    handleBatch,
  });
}
