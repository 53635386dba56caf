/**
 * The EventLog on Kafka (kafkajs 2.2.4). Publishing is one `send` per call (kafkajs does no batching
 * of its own) through an idempotent producer with acks=all, so a resolved publish is durable and a
 * retried one is not duplicated. Topics are never auto-created: `ensureTopics` is the only way in.
 */
import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { type Admin, CompressionTypes, type Kafka, Partitioners, type Producer } from 'kafkajs';
import {
  type EventLog,
  EventLogClosedError,
  type Subscription,
  UnknownTopicError,
  validateSubscribeOptions,
} from './event-log.js';
import { createKafkaClient } from './kafka-client.js';
import type { LogGate } from './kafka-log-creator.js';
import {
  DEFAULT_CONSUMER_SETTINGS,
  type KafkaConsumerSettings,
  startKafkaSubscription,
} from './kafka-subscription.js';

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  /** For topics created by ensureTopics; 1 suits a single test broker, use 3 in production. */
  replicationFactor?: number;
  /** kafkajs ships only gzip. Default none: the payloads are small JSON and CPU is shared with ffmpeg. */
  compression?: 'gzip' | 'none';
  /** How long connecting may take before createKafkaEventLog gives up. */
  connectTimeoutMs?: number;
  consumer?: Partial<KafkaConsumerSettings>;
}

export interface KafkaEventLogDeps {
  logger: Logger;
}

/** Connects (admin + producer) and verifies the cluster answers; rejects with the reason otherwise. */
export async function createKafkaEventLog(
  options: KafkaEventLogOptions,
  deps: KafkaEventLogDeps,
): Promise<EventLog> {
  // Muted until connected: an unreachable broker is reported once, by the caller, not by kafkajs.
  const gate: LogGate = { muted: true };
  const kafka = createKafkaClient(options, { logger: deps.logger, gate });
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1, // with idempotence: per-partition order survives retries
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2, same key → same partition
  });
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  try {
    await withTimeout(
      (async () => {
        await admin.connect();
        await admin.listTopics();
        await producer.connect();
      })(),
      connectTimeoutMs,
      () => new Error(`no answer within ${connectTimeoutMs} ms`),
    );
  } catch (err) {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    throw err;
  }
  gate.muted = false;
  return buildKafkaEventLog(kafka, admin, producer, options, deps.logger);
}

function buildKafkaEventLog(
  kafka: Kafka,
  admin: Admin,
  producer: Producer,
  options: KafkaEventLogOptions,
  logger: Logger,
): EventLog {
  const knownTopics = new Set<string>();
  const subscriptions = new Set<Subscription>();
  const consumerSettings = { ...DEFAULT_CONSUMER_SETTINGS, ...options.consumer };
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new EventLogClosedError();
  };

  /** Positive answers are cached; a topic deleted later surfaces as UnknownTopicError from send. */
  const requireTopics = async (names: string[]): Promise<void> => {
    if (names.every((name) => knownTopics.has(name))) return;
    for (const name of await admin.listTopics()) knownTopics.add(name);
    const missing = names.find((name) => !knownTopics.has(name));
    if (missing !== undefined) throw new UnknownTopicError(missing);
  };

  return {
    adapter: { port: 'event-log', kind: 'real', service: 'Kafka', target: options.brokers.join(',') },

    async ping() {
      assertOpen();
      try {
        await withTimeout(admin.describeCluster(), 5_000, () => new Error('no answer within 5000 ms'));
      } catch (err) {
        throw new Error(reasonOf(err));
      }
    },

    async ensureTopics(definitions) {
      assertOpen();
      const existing = new Set(await admin.listTopics());
      const missing = definitions.filter(({ name }) => !existing.has(name));
      if (missing.length > 0) {
        // false = another process created them first: fine, that is the point of "ensure".
        try {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map(({ name, partitions }) => ({
              topic: name,
              numPartitions: partitions,
              replicationFactor: options.replicationFactor ?? 1,
            })),
          });
        } catch (err) {
          // KRaft can answer the metadata request kafkajs makes to wait for the new leaders with
          // "This server does not host this topic-partition" (retriable) before the topic has
          // propagated, and kafkajs only retries LEADER_NOT_AVAILABLE there (seen in CI here).
          if (!(err as { retriable?: boolean }).retriable) throw err;
        }
        await waitForLeaders(
          admin,
          missing.map(({ name }) => name),
        );
      }
      for (const { name } of definitions) knownTopics.add(name);
    },

    async publish(topic, messages) {
      assertOpen();
      if (messages.length === 0) return;
      await requireTopics([topic]);
      try {
        await producer.send({
          topic,
          acks: -1,
          compression,
          messages: messages.map(({ key, value, headers }) => ({
            key,
            value,
            ...(headers ? { headers } : {}),
          })),
        });
      } catch (err) {
        if (isUnknownTopic(err)) {
          knownTopics.delete(topic);
          throw new UnknownTopicError(topic);
        }
        throw err;
      }
    },

    async subscribe(subscribeOptions) {
      assertOpen();
      validateSubscribeOptions(subscribeOptions);
      await requireTopics(subscribeOptions.topics);
      const subscription = await startKafkaSubscription(kafka, subscribeOptions, consumerSettings, logger);
      subscriptions.add(subscription);
      void subscription.done.catch(() => undefined).finally(() => subscriptions.delete(subscription));
      return subscription;
    },

    async lag(groupId, topic) {
      assertOpen();
      await requireTopics([topic]);
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const committedBy = new Map(
        (committed[0]?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]),
      );
      let total = 0n;
      for (const { partition, high, low } of ends) {
        // -1: the group never committed here, so everything retained is still to read.
        const from = committedBy.get(partition) ?? -1n;
        const start = from < 0n ? BigInt(low) : from;
        if (BigInt(high) > start) total += BigInt(high) - start;
      }
      return Number(total);
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}

/** kafkajs wraps the broker's error in retry errors; the protocol error type sits somewhere in `cause`. */
function isUnknownTopic(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if ((current as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Until every partition of `topics` has a leader (30 s at most), retrying what the broker calls retriable. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const led = found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (found.length === topics.length && led) return;
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable) throw err;
    }
    if (Date.now() > deadline) {
      throw new Error(`topics ${topics.join(', ')} have no leader ${timeoutMs} ms after they were created`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
