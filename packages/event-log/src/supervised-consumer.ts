/**
 * A consumer group member that stays a member: the one way a service consumes the event log.
 *
 * - A crashed subscription (a handler threw, or the log client gave up) is replaced after a jittered,
 *   doubling backoff — never left silently dead, and members that crashed together do not rejoin
 *   in step. The backoff starts over once a batch is handled.
 * - A watchdog (consumer-watchdog.ts) reads the group's lag every `checkIntervalMs` into a gauge; lag
 *   with no sign of life for `stallAfterMs` is a stall: the batch in flight is abandoned (its
 *   `signal` aborts, nothing is committed, so it comes again) and the subscription is replaced.
 *   Signs of life: every fetch, group join and kafkajs' own reconnect ('retrying': alive, not stuck),
 *   every handled batch, and `context.alive()` from a handler that is failing rather than stalled.
 * - `stop()` is graceful: it aborts the handler's signal (a handler that honours it leaves its batch
 *   uncommitted), waits for the subscription to leave the group, and ends the supervision.
 *
 * Metrics, named from `name` unless given: `streamloop_<service>_<noun>_lag_messages`,
 * `…_stalls_total`, `…_restarts_total`.
 */
import type { Logger } from '@streamloop/core/logger';
import { Counter, Gauge, metricName, type Registry } from '@streamloop/core/metrics';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF, sleep } from './backoff.js';
import {
  type ConsumerWatchdog,
  type ConsumerWatchdogOptions,
  startConsumerWatchdog,
} from './consumer-watchdog.js';
import type { Batch, EventLog, SubscribeOptions, Subscription } from './event-log.js';

export interface BatchContext {
  /** Aborts when the batch is abandoned (stop, or a stall): stop working on it, let it stay uncommitted. */
  signal: AbortSignal;
  /** Proof of life from a handler that is busy or failing (retrying a store), not stalled. */
  alive(): void;
}

export interface SupervisedConsumerOptions {
  eventLog: EventLog;
  logger: Logger;
  registry: Registry;
  /** Names the consumer in logs and, unless `metricNames` is given, in its metrics. */
  name: { service: string; noun: string };
  metricNames?: { lag: string; stalls: string; restarts: string };
  groupId: string;
  topic: string;
  fromBeginning?: boolean;
  maxBatchSize?: number;
  batchWindow?: SubscribeOptions['batchWindow'];
  concurrentPartitions?: number;
  /** Delays before subscribing again after a crash or a stall. */
  backoff?: BackoffOptions;
  /** `stallAfterMs: Infinity` keeps the lag gauge and never declares a stall. */
  watchdog?: ConsumerWatchdogOptions;
  /** Offsets are committed once it resolves; throwing crashes the subscription (redelivery, rejoin). */
  handleBatch(batch: Batch, context: BatchContext): Promise<void>;
}

export interface SupervisedConsumer {
  /** Resolves once subscribed (the group joined); messages published from then on are consumed. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_WATCHDOG: ConsumerWatchdogOptions = { checkIntervalMs: 5_000, stallAfterMs: 60_000 };

export function supervisedMetricNames(name: SupervisedConsumerOptions['name']) {
  return {
    lag: metricName(name.service, `${name.noun}_lag_messages`),
    stalls: metricName(name.service, `${name.noun}_stalls_total`),
    restarts: metricName(name.service, `${name.noun}_restarts_total`),
  };
}

export function createSupervisedConsumer(options: SupervisedConsumerOptions): SupervisedConsumer {
  const { eventLog, logger, groupId, topic } = options;
  const label = `${options.name.service} ${options.name.noun.replace(/_/g, ' ')}`;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const names = options.metricNames ?? supervisedMetricNames(options.name);
  const registers = [options.registry];
  const metrics = {
    lag: new Gauge({
      name: names.lag,
      help: `Messages of ${topic} the ${groupId} group has not committed yet (all partitions)`,
      registers,
    }),
    stalls: new Counter({
      name: names.stalls,
      help: 'Times the watchdog found the consumer silent (no fetch) while it had lag, and restarted it',
      registers,
    }),
    restarts: new Counter({
      name: names.restarts,
      help: 'Times the subscription was replaced (it crashed, or the watchdog found it stalled)',
      registers,
    }),
  };

  // One per subscription: aborting it abandons the batch in flight (uncommitted, so it comes again).
  let batchAbort = new AbortController();
  let subscription: Subscription | undefined;
  let supervising: Promise<void> | undefined;
  let watchdog: ConsumerWatchdog | undefined;
  const stopAbort = new AbortController();
  let stopping = false;
  let restartRequested = false;
  let crashes = 0;
  const alive = () => watchdog?.alive();

  const subscribe = () => {
    batchAbort = new AbortController();
    const context: BatchContext = { signal: batchAbort.signal, alive };
    return eventLog.subscribe({
      groupId,
      topics: [topic],
      ...(options.fromBeginning === undefined ? {} : { fromBeginning: options.fromBeginning }),
      ...(options.maxBatchSize === undefined ? {} : { maxBatchSize: options.maxBatchSize }),
      ...(options.batchWindow === undefined ? {} : { batchWindow: options.batchWindow }),
      ...(options.concurrentPartitions === undefined
        ? {}
        : { concurrentPartitions: options.concurrentPartitions }),
      handleBatch: async (batch) => {
        await options.handleBatch(batch, context);
        crashes = 0;
        alive();
      },
      onActivity: alive,
    });
  };

  function onStall(silentForMs: number, lag: number): void {
    if (stopping) return;
    metrics.stalls.inc();
    logger.error(
      { groupId, topic, silentForMs, lag },
      `${label} received nothing while messages wait; restarting its subscription`,
    );
    restartRequested = true;
    batchAbort.abort(new Error('the watchdog restarts this stalled subscription'));
    void subscription?.stop();
  }

  async function supervise(): Promise<void> {
    for (;;) {
      try {
        await subscription?.done;
        if (stopping || !restartRequested) return;
      } catch (err) {
        if (stopping) return;
        if (!restartRequested) logger.error({ err, groupId, topic }, `${label} crashed; subscribing again`);
      }
      metrics.restarts.inc();
      restartRequested = false;
      for (;;) {
        try {
          await sleep(backoffDelayMs(crashes++, backoff), stopAbort.signal);
          subscription = await subscribe();
          break;
        } catch (err) {
          if (stopping) return;
          logger.error({ err, groupId, topic }, `${label} cannot subscribe; trying again`);
        }
      }
      if (stopping) return subscription.stop();
    }
  }

  return {
    async start() {
      if (subscription !== undefined) throw new Error(`the ${label} is already started`);
      subscription = await subscribe();
      supervising = supervise();
      watchdog = startConsumerWatchdog({
        ...(options.watchdog ?? DEFAULT_WATCHDOG),
        lag: () => eventLog.lag(groupId, topic),
        onLag: (lag) => metrics.lag.set(lag),
        onStall,
        onCheckFailed: (err) => logger.warn({ err, groupId, topic }, `cannot read the ${label} lag`),
      });
    },
    async stop() {
      if (stopping) return supervising;
      stopping = true;
      watchdog?.stop();
      const reason = new Error(`the ${label} is stopping`);
      stopAbort.abort(reason);
      batchAbort.abort(reason);
      await subscription?.stop();
      await supervising;
    },
  };
}
