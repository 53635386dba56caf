/**
 * QoE beacons from the event log into ClickHouse (`beacons_v1`), at least once, counted once.
 *
 * Each batch (one partition, in order) runs through small steps: parse the collector's envelope,
 * validate the beacon, map it to a row — each step returns ok or drop(reason), so bad data is counted
 * and logged, never a crash — then ONE insert of the batch's rows. The event log commits the offsets
 * only after `handleBatch` resolves, i.e. after the insert. A crash between insert and commit
 * redelivers the batch; its insert carries the same `insert_deduplication_token`, so ClickHouse
 * keeps the first copy only. Queries deduplicate on beacon_id as well (a redelivery cut at other
 * boundaries gets another token).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TOPICS } from '@streamloop/core/topics';
import type { Batch, ConsumedMessage, EventLog, Subscription } from '@streamloop/event-log/event-log';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF, sleep } from './backoff.js';
import { createBeaconConsumerMetrics } from './beacon-consumer-metrics.js';
import { beaconRowStep } from './beacon-row-step.js';
import {
  type AnalyticsTarget,
  type BeaconRow,
  type BeaconsTable,
  createBeaconsTable,
} from './beacons-table.js';
import { insertBeaconsStep } from './insert-beacons-step.js';
import { parseEnvelopeStep } from './parse-envelope-step.js';
import type { Drop, DropReason, Ok } from './step-result.js';
import { createValidateBeaconStep } from './validate-beacon-step.js';

export interface BeaconConsumerDeps {
  eventLog: EventLog;
  analyticsStore: AnalyticsTarget;
  logger: Logger;
  registry: Registry;
  groupId?: string;
  maxBatchSize?: number;
  /** Defaults to `TOPICS.qoeBeacons.name`; tests on a shared Kafka pass a topic of their own. */
  topic?: string;
  /** Delays between retried inserts and between resubscriptions after a crash. */
  backoff?: BackoffOptions;
  /** The output the rows go to; defaults to `beacons_v1` of `analyticsStore`. */
  beaconsTable?: BeaconsTable;
}

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

export function createBeaconConsumer(deps: BeaconConsumerDeps): BeaconConsumer {
  const { eventLog, logger, groupId = 'analytics', maxBatchSize = 5000 } = deps;
  const topic = deps.topic ?? TOPICS.qoeBeacons.name;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const table = deps.beaconsTable ?? createBeaconsTable(deps.analyticsStore);
  const metrics = createBeaconConsumerMetrics(deps.registry);
  const validateBeacon = createValidateBeaconStep();
  const abort = new AbortController();
  let subscription: Subscription | undefined;
  let supervising: Promise<void> | undefined;
  let stopping = false;
  let crashes = 0;

  const toRow = (message: ConsumedMessage): Ok<BeaconRow> | Drop<DropReason> => {
    const envelope = parseEnvelopeStep(message);
    if (envelope.kind === 'drop') return envelope;
    const received = validateBeacon(envelope.value);
    if (received.kind === 'drop') return received;
    return beaconRowStep(received.value, message);
  };

  async function insertUntilDone(rows: BeaconRow[], dedupToken: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const endTimer = metrics.insertDuration.startTimer();
      const result = await insertBeaconsStep(table, rows, dedupToken);
      if (result.kind === 'ok') {
        endTimer();
        metrics.inserted.inc(result.value);
        return;
      }
      metrics.insertRetries.inc();
      const retryInMs = backoffDelayMs(attempt, backoff);
      logger[attempt < 3 ? 'warn' : 'error'](
        { err: result.error, attempt: attempt + 1, retryInMs, dedupToken },
        'beacon insert failed; retrying the same batch',
      );
      // Rejects on stop: the batch stays uncommitted and the next consumer gets it again.
      await sleep(retryInMs, abort.signal);
    }
  }

  async function handleBatch(batch: Batch): Promise<void> {
    const rows: BeaconRow[] = [];
    const dropped: Partial<Record<DropReason, number>> = {};
    let example: { offset: string; reason: DropReason; detail: string } | undefined;
    for (const message of batch.messages) {
      const result = toRow(message);
      if (result.kind === 'ok') {
        rows.push(result.value);
        continue;
      }
      metrics.dropped.inc({ reason: result.reason });
      dropped[result.reason] = (dropped[result.reason] ?? 0) + 1;
      example ??= { offset: message.offset, reason: result.reason, detail: result.detail };
    }
    if (example !== undefined) {
      // One line per batch, not per message: a flood of garbage must not flood the log.
      logger.warn(
        { topic: batch.topic, partition: batch.partition, dropped, example },
        'dropped beacon messages',
      );
    }
    if (rows.length > 0) await insertUntilDone(rows, dedupTokenOf(batch));
    crashes = 0;
  }

  const subscribe = () =>
    eventLog.subscribe({
      groupId,
      topics: [topic],
      // A new group starts at the oldest retained beacon: those sent before analytics first ran count too.
      fromBeginning: true,
      maxBatchSize,
      handleBatch,
    });

  /** A crashed subscription (the log client gave up) is replaced, never left silently dead. */
  async function supervise(): Promise<void> {
    for (;;) {
      try {
        await subscription?.done;
        return;
      } catch (err) {
        if (stopping) return;
        metrics.restarts.inc();
        logger.error({ err, groupId, topic }, 'beacon subscription crashed; subscribing again');
      }
      for (;;) {
        try {
          await sleep(backoffDelayMs(crashes++, backoff), abort.signal);
          subscription = await subscribe();
          break;
        } catch (err) {
          if (stopping) return;
          logger.error({ err, groupId, topic }, 'cannot subscribe to beacons; trying again');
        }
      }
      if (stopping) return subscription.stop();
    }
  }

  return {
    async start() {
      if (subscription !== undefined) throw new Error('the beacon consumer is already started');
      subscription = await subscribe();
      supervising = supervise();
    },
    async stop() {
      if (stopping) return supervising;
      stopping = true;
      abort.abort(new Error('the beacon consumer is stopping'));
      await subscription?.stop();
      await supervising;
    },
  };
}
