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
 *
 * Batches form by size and time: the log fetch waits up to `batchWindow.maxWaitMs` for
 * `batchWindow.minBytes` (Kafka's fetch.min.bytes / fetch.max.wait.ms), and a batch holds at most
 * `maxBatchSize` messages. A watchdog (consumer-watchdog.ts) publishes the group's lag and replaces a
 * subscription that stopped fetching while messages wait.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TOPICS } from '@streamloop/core/topics';
import type {
  Batch,
  ConsumedMessage,
  EventLog,
  SubscribeOptions,
  Subscription,
} from '@streamloop/event-log/event-log';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF, sleep } from './backoff.js';
import { createBeaconConsumerMetrics } from './beacon-consumer-metrics.js';
import { beaconRowStep } from './beacon-row-step.js';
import {
  type AnalyticsTarget,
  type BeaconRow,
  type BeaconsTable,
  createBeaconsTable,
} from './beacons-table.js';
import {
  type ConsumerWatchdogOptions,
  DEFAULT_WATCHDOG,
  startConsumerWatchdog,
} from './consumer-watchdog.js';
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
  batchWindow?: BatchWindow;
  watchdog?: ConsumerWatchdogOptions;
}

export type BatchWindow = NonNullable<SubscribeOptions['batchWindow']>;

/** ~0.5 KB a beacon: a fetch returns once ~500 beacons wait, or after 1 s with whatever there is. */
export const DEFAULT_BATCH_WINDOW: BatchWindow = { minBytes: 256 * 1024, maxWaitMs: 1000 };

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

/** Resolves or rejects with `work`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function createBeaconConsumer(deps: BeaconConsumerDeps): BeaconConsumer {
  const { eventLog, logger, groupId = 'analytics', maxBatchSize = 5000 } = deps;
  const topic = deps.topic ?? TOPICS.qoeBeacons.name;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const table = deps.beaconsTable ?? createBeaconsTable(deps.analyticsStore);
  const metrics = createBeaconConsumerMetrics(deps.registry);
  const validateBeacon = createValidateBeaconStep();
  const watchdogOptions = deps.watchdog ?? DEFAULT_WATCHDOG;
  // One per subscription: aborting it abandons the batch in flight (uncommitted, so it comes again).
  let batchAbort = new AbortController();
  let subscription: Subscription | undefined;
  let supervising: Promise<void> | undefined;
  let watchdog: ReturnType<typeof startConsumerWatchdog> | undefined;
  const stop = new AbortController();
  const stopSignal = stop.signal;
  let stopping = false;
  let restartRequested = false;
  let crashes = 0;

  const toRow = (message: ConsumedMessage): Ok<BeaconRow> | Drop<DropReason> => {
    const envelope = parseEnvelopeStep(message);
    if (envelope.kind === 'drop') return envelope;
    const received = validateBeacon(envelope.value);
    if (received.kind === 'drop') return received;
    return beaconRowStep(received.value, message);
  };

  async function insertUntilDone(rows: BeaconRow[], dedupToken: string, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const endTimer = metrics.insertDuration.startTimer();
      // An insert that never answers must not pin the consumer: the watchdog's abort ends the wait.
      // If it lands later after all, the redelivered batch's same token keeps it counted once.
      const result = await untilAborted(insertBeaconsStep(table, rows, dedupToken), signal);
      if (result.kind === 'ok') {
        endTimer();
        metrics.inserted.inc(result.value);
        return;
      }
      metrics.insertRetries.inc();
      // Failing, not stalled: a store outage is not cured by resubscribing.
      watchdog?.alive();
      const retryInMs = backoffDelayMs(attempt, backoff);
      logger[attempt < 3 ? 'warn' : 'error'](
        { err: result.error, attempt: attempt + 1, retryInMs, dedupToken },
        'beacon insert failed; retrying the same batch',
      );
      // Rejects on stop: the batch stays uncommitted and the next consumer gets it again.
      await sleep(retryInMs, signal);
    }
  }

  async function handleBatch(batch: Batch, signal: AbortSignal): Promise<void> {
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
    if (rows.length > 0) await insertUntilDone(rows, dedupTokenOf(batch), signal);
    crashes = 0;
    watchdog?.alive();
  }

  const subscribe = () => {
    batchAbort = new AbortController();
    const { signal } = batchAbort;
    return eventLog.subscribe({
      groupId,
      topics: [topic],
      // A new group starts at the oldest retained beacon: those sent before analytics first ran count too.
      fromBeginning: true,
      maxBatchSize,
      batchWindow: deps.batchWindow ?? DEFAULT_BATCH_WINDOW,
      handleBatch: (batch) => handleBatch(batch, signal),
      onActivity: () => watchdog?.alive(),
    });
  };

  function onStall(silentForMs: number, lag: number): void {
    if (stopping) return;
    metrics.stalls.inc();
    logger.error(
      { groupId, topic, silentForMs, lag },
      'beacon consumer received nothing while beacons wait; restarting its subscription',
    );
    restartRequested = true;
    batchAbort.abort(new Error('the watchdog restarts this stalled subscription'));
    void subscription?.stop();
  }

  /** A crashed subscription (the log client gave up) is replaced, never left silently dead. */
  async function supervise(): Promise<void> {
    for (;;) {
      try {
        await subscription?.done;
        if (stopping || !restartRequested) return;
      } catch (err) {
        if (stopping) return;
        if (!restartRequested)
          logger.error({ err, groupId, topic }, 'beacon subscription crashed; subscribing again');
      }
      metrics.restarts.inc();
      restartRequested = false;
      for (;;) {
        try {
          await sleep(backoffDelayMs(crashes++, backoff), stopSignal);
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
      watchdog = startConsumerWatchdog({
        ...watchdogOptions,
        lag: () => eventLog.lag(groupId, topic),
        onLag: (lag) => metrics.lag.set(lag),
        onStall,
        onCheckFailed: (err) => logger.warn({ err, groupId, topic }, 'cannot read the beacon consumer lag'),
      });
    },
    async stop() {
      if (stopping) return supervising;
      stopping = true;
      watchdog?.stop();
      const reason = new Error('the beacon consumer is stopping');
      stop.abort(reason);
      batchAbort.abort(reason);
      await subscription?.stop();
      await supervising;
    },
  };
}
