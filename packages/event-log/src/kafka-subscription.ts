/**
 * One subscription = one kafkajs consumer in a consumer group. Offsets are committed by hand after
 * the handler resolved (autoCommit off, eachBatchAutoResolve off), so a crash can only cause
 * redelivery, never loss. A handler that throws crashes the subscription: nothing of that batch is
 * committed, the consumer leaves the group, and the partition's next owner starts from the last
 * commit. kafkajs's own retry-the-batch behaviour is bypassed on purpose: a handler error here is a
 * crash, and a consumer that keeps going after one is the silent failure we want to avoid.
 */

import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import {
  type Batch,
  type ConsumedMessage,
  DEFAULT_MAX_BATCH_SIZE,
  type SubscribeOptions,
  type Subscription,
} from './event-log.js';
import { KAFKA_RETRY } from './kafka-client.js';

export interface KafkaConsumerSettings {
  /** Broker bounds: group.min.session.timeout.ms (6 s) ≤ value ≤ group.max.session.timeout.ms. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Fetch long-poll; also bounds how late an idle member notices a rebalance. */
  maxWaitTimeMs: number;
  /** How long `subscribe` waits for the group join before giving up. */
  joinTimeoutMs: number;
  /**
   * How long the coordinator waits for a busy member to rejoin during a rebalance (kafkajs
   * `rebalanceTimeout`, Kafka's max.poll.interval role). A transcode handler runs for minutes; at
   * kafkajs's 60 s default a member still encoding is dropped and its job handed to another member.
   */
  rebalanceTimeoutMs: number;
}

export const DEFAULT_CONSUMER_SETTINGS: KafkaConsumerSettings = {
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 1_000,
  maxWaitTimeMs: 1_000,
  joinTimeoutMs: 30_000,
  rebalanceTimeoutMs: 10 * 60_000,
};

export async function startKafkaSubscription(
  kafka: Kafka,
  options: SubscribeOptions,
  settings: KafkaConsumerSettings,
  logger: Logger,
): Promise<Subscription> {
  const { groupId, topics, handleBatch } = options;
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    rebalanceTimeout: settings.rebalanceTimeoutMs,
    maxWaitTimeInMs: options.batchWindow?.maxWaitMs ?? settings.maxWaitTimeMs,
    ...(options.batchWindow === undefined ? {} : fetchBytes(options.batchWindow)),
    allowAutoTopicCreation: false,
    retry: KAFKA_RETRY,
  });

  let crashError: unknown;
  let finishing: Promise<void> | undefined;
  let settle: { resolve(): void; reject(err: unknown): void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Whoever awaits `done` still sees the crash; nobody awaiting it must not kill the process.
  done.catch(() => undefined);

  const finish = (error?: unknown): Promise<void> => {
    if (error !== undefined && crashError === undefined && finishing === undefined) crashError = error;
    finishing ??= consumer
      .disconnect() // leaves the group after the in-flight batch returned
      .catch((err: unknown) =>
        logger.warn({ groupId, reason: reasonOf(err) }, 'event-log consumer disconnect failed'),
      )
      .then(() => {
        if (crashError === undefined) settle?.resolve();
        else settle?.reject(crashError);
      });
    return finishing;
  };

  const crash = (error: unknown): void => {
    if (finishing !== undefined) return;
    logger.error({ err: error, groupId, topics }, 'event-log subscription crashed');
    // Not awaited: disconnect waits for this very eachBatch call to return.
    void finish(error);
  };

  const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const messages = batch.messages.map((m) => toConsumedMessage(batch.topic, batch.partition, m));
    let rebalancing = false;
    for (let start = 0; start < messages.length; start += maxBatchSize) {
      // After a rebalance began, take nothing more from this fetch: rejoin first, so a partition
      // never has two members working on it.
      if (finishing !== undefined || !isRunning() || isStale() || rebalancing) return;
      const chunk: Batch = {
        topic: batch.topic,
        partition: batch.partition,
        messages: messages.slice(start, start + maxBatchSize),
      };
      try {
        await whileHeartbeating(
          () => handleBatch(chunk),
          heartbeat,
          settings.heartbeatIntervalMs,
          () => {
            rebalancing = true;
          },
        );
      } catch (err) {
        crash(err);
        return;
      }
      const last = chunk.messages[chunk.messages.length - 1]!.offset;
      resolveOffset(last);
      // Kafka commits the NEXT offset to read. A failure here (rebalance) propagates to kafkajs,
      // which rejoins; the new owner re-reads from the previous commit: at-least-once.
      await commitOffsetsIfNecessary({
        topics: [
          {
            topic: batch.topic,
            partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }],
          },
        ],
      });
    }
  };

  // Before run(): the first join happens inside it.
  const { onActivity } = options;
  if (onActivity !== undefined) {
    consumer.on(consumer.events.FETCH, () => onActivity('fetch'));
    consumer.on(consumer.events.GROUP_JOIN, () => onActivity('group_join'));
  }

  const running = waitUntilRunning(consumer);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.concurrentPartitions ?? 1,
      eachBatch,
    });
    await withTimeout(
      running.promise,
      settings.joinTimeoutMs,
      () =>
        new Error(`consumer group '${groupId}' did not finish joining within ${settings.joinTimeoutMs} ms`),
    );
  } catch (err) {
    running.dispose();
    await consumer.disconnect().catch(() => undefined);
    throw err;
  }
  running.dispose();

  // kafkajs gives up on non-retriable errors silently unless someone listens: surface it in `done`.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      options.onActivity?.('retrying');
      logger.warn(
        { groupId, reason: reasonOf(payload.error) },
        'event-log consumer restarting after an error',
      );
    } else {
      crash(payload.error);
    }
  });

  return {
    done,
    stop: async () => {
      await finish();
      await done.catch(() => undefined);
    },
  };
}

/**
 * Resolves after the group join AND the first fetch that follows it: kafkajs resolves a new group's
 * start offset ("latest" unless fromBeginning) lazily at that fetch, so a message published between
 * the two would otherwise be skipped by a subscriber that already "joined".
 */
function waitUntilRunning(consumer: Consumer): { promise: Promise<void>; dispose(): void } {
  const removers: (() => void)[] = [];
  const promise = new Promise<void>((resolve, reject) => {
    let joined = false;
    removers.push(
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      }),
      consumer.on(consumer.events.FETCH, () => {
        if (joined) resolve();
      }),
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      }),
    );
  });
  promise.catch(() => undefined);
  return {
    promise,
    dispose: () => {
      for (const remove of removers) remove();
    },
  };
}

/** kafkajs fetch sizes from the subscriber's batch window (kafkajs's own defaults where it gives none). */
function fetchBytes(window: NonNullable<SubscribeOptions['batchWindow']>) {
  return {
    minBytes: window.minBytes,
    ...(window.maxBytesPerPartition === undefined
      ? {}
      : { maxBytesPerPartition: window.maxBytesPerPartition }),
    ...(window.maxBytes === undefined ? {} : { maxBytes: window.maxBytes }),
  };
}

/** Keeps the group membership alive while a slow handler (a transcode) runs. */
async function whileHeartbeating<T>(
  work: () => Promise<T>,
  heartbeat: () => Promise<void>,
  intervalMs: number,
  onRebalance: () => void,
) {
  // A failed heartbeat means a rebalance; kafkajs rejoins after this batch returns.
  const timer = setInterval(() => void heartbeat().catch(() => onRebalance()), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

function toConsumedMessage(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  const headers = toHeaders(message.headers);
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: Number(message.timestamp),
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? Buffer.alloc(0),
    ...(headers === undefined ? {} : { headers }),
  };
}

function toHeaders(raw: IHeaders | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  const entries = Object.entries(raw).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(
    entries.map(([name, v]) => [name, Array.isArray(v) ? v.map(String).join(',') : String(v)]),
  );
}
