/**
 * The EventLog on Kafka (kafkajs 2.2.4). Publishing is one `send` per call (kafkajs does no batching
 * of its own) through an idempotent producer with acks=all, so a resolved publish is durable and a
 * retried one is not duplicated. Topics are never auto-created: `ensureTopics` is the only way in.
 */
import { reasonOf, withTimeout } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { type Admin, CompressionTypes, type Kafka, type Producer as KafkaProducer } from 'kafkajs';
import {
  type EventLog,
  EventLogClosedError,
  type Subscription,
  UnknownTopicError,
  validateSubscribeOptions,
} from './event-log.js';
import { backoffDelayMs, sleep, untilAborted } from './backoff.js';
import { createKafkaClient } from './kafka-client.js';
import type { LogGate } from './kafka-log-creator.js';
import { isUnknownTopic, PRODUCER_SETTINGS } from './kafka-producer-settings.js';
import { createProducerThread, type ProducerThread, ProducerThreadError } from './kafka-producer-thread.js';
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
  /** How long connecting may take before createKafkaEventLog gives up (each attempt, in the background). */
  connectTimeoutMs?: number;
  /**
   * 'wait' (default): createKafkaEventLog resolves once the cluster answered and rejects otherwise.
   * 'background': it resolves at once and keeps connecting, with backoff, until the cluster answers;
   * until then `publish` and `ping` reject at once naming the last failure (a caller with a spool
   * spools), and every other call waits for the connection. For a process that can serve without
   * Kafka and must be able to START without it (the beacon collector).
   */
  connect?: 'wait' | 'background';
  consumer?: Partial<KafkaConsumerSettings>;
  /**
   * Publish from a worker thread of its own (kafka-producer-thread.ts): kafkajs' encoding, CRC and
   * socket writes leave the caller's thread. For a process whose main thread is its bottleneck.
   */
  producerThread?: boolean;
}

/** What publish needs of a producer, in process or on its own thread. */
type Producer = Pick<ProducerThread, 'connect' | 'send' | 'disconnect'>;

function inProcessProducer(producer: KafkaProducer, compressionName: 'gzip' | 'none' | undefined): Producer {
  const compression = compressionName === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(topic, messages) {
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
    },
  };
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
  const producer: Producer = options.producerThread
    ? createProducerThread(
        { brokers: options.brokers, clientId: options.clientId, compression: options.compression ?? 'none' },
        { logger: deps.logger, gate },
      )
    : inProcessProducer(kafka.producer(PRODUCER_SETTINGS), options.compression);
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const connectOnce = () =>
    withTimeout(
      (async () => {
        await admin.connect();
        await admin.listTopics();
        await producer.connect();
      })(),
      connectTimeoutMs,
      () => new Error(`no answer within ${connectTimeoutMs} ms`),
    );
  const disconnect = async () => {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  };
  if (options.connect !== 'background') {
    try {
      await connectOnce();
    } catch (err) {
      await disconnect();
      throw err;
    }
    gate.muted = false;
    return buildKafkaEventLog(kafka, admin, producer, options, deps.logger, CONNECTED);
  }
  const connection = connectInBackground(connectOnce, disconnect, {
    logger: deps.logger,
    brokers: options.brokers,
    onConnected: () => {
      gate.muted = false;
    },
  });
  // The first attempt is waited for: a healthy start is connected (and ready) from its first request.
  await connection.firstAttempt;
  return buildKafkaEventLog(kafka, admin, producer, options, deps.logger, connection);
}

/** Whether the adapter reached the cluster yet; `ready` settles once it did (or rejects once closed). */
interface Connection {
  readonly connected: boolean;
  /** Why it is not connected yet (the last attempt's failure). */
  readonly reason: string;
  readonly ready: Promise<void>;
  /** Settles once the first attempt succeeded or failed, never rejects. */
  readonly firstAttempt: Promise<void>;
  stop(): void;
}

const CONNECTED: Connection = {
  connected: true,
  reason: '',
  ready: Promise.resolve(),
  firstAttempt: Promise.resolve(),
  stop() {},
};

/** Kafka down at start: the first connection is kafkajs' job no more, so retry it here, forever, with backoff. */
function connectInBackground(
  connectOnce: () => Promise<void>,
  disconnect: () => Promise<void>,
  deps: { logger: Logger; brokers: string[]; onConnected(): void },
): Connection {
  const stopped = new AbortController();
  let connected = false;
  let reason = 'connecting to Kafka';
  let firstAttemptDone: () => void = () => undefined;
  const firstAttempt = new Promise<void>((resolve) => {
    firstAttemptDone = resolve;
  });
  const ready = (async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        await untilAborted(connectOnce(), stopped.signal);
        connected = true;
        firstAttemptDone();
        deps.onConnected();
        if (attempt > 0) deps.logger.info({ brokers: deps.brokers }, 'connected to Kafka');
        return;
      } catch (err) {
        if (stopped.signal.aborted) {
          firstAttemptDone();
          throw stopped.signal.reason;
        }
        reason = reasonOf(err);
        await disconnect();
        firstAttemptDone();
        const retryInMs = backoffDelayMs(attempt, CONNECT_BACKOFF);
        deps.logger[attempt < 3 ? 'warn' : 'error'](
          { brokers: deps.brokers, attempt: attempt + 1, retryInMs, reason },
          'Kafka does not answer; connecting again in the background',
        );
        await sleep(retryInMs, stopped.signal);
      }
    }
  })();
  ready.catch(() => undefined); // a close before the connection: the waiting calls see EventLogClosedError
  return {
    get connected() {
      return connected;
    },
    get reason() {
      return reason;
    },
    ready,
    firstAttempt,
    stop: () => stopped.abort(new EventLogClosedError()),
  };
}

/** From half a second up to 10 s between attempts: a broker that comes back is found within seconds. */
const CONNECT_BACKOFF = { initialDelayMs: 500, maxDelayMs: 10_000 };

function buildKafkaEventLog(
  kafka: Kafka,
  admin: Admin,
  producer: Producer,
  options: KafkaEventLogOptions,
  logger: Logger,
  connection: Connection,
): EventLog {
  const knownTopics = new Set<string>();
  const subscriptions = new Set<Subscription>();
  const consumerSettings = { ...DEFAULT_CONSUMER_SETTINGS, ...options.consumer };
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new EventLogClosedError();
  };
  /** For calls that may wait: resolves once connected. */
  const whenConnected = async (): Promise<void> => {
    assertOpen();
    await connection.ready;
  };
  /** For calls that must answer now (a publish on a request path, a readiness probe). */
  const assertConnected = (): void => {
    assertOpen();
    if (!connection.connected) throw new Error(`not connected to Kafka yet: ${connection.reason}`);
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
      assertConnected();
      try {
        await withTimeout(admin.describeCluster(), 5_000, () => new Error('no answer within 5000 ms'));
      } catch (err) {
        throw new Error(reasonOf(err));
      }
    },

    async ensureTopics(definitions) {
      await whenConnected();
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
      assertConnected();
      if (messages.length === 0) return;
      await requireTopics([topic]);
      try {
        await producer.send(topic, messages);
      } catch (err) {
        if (isUnknownTopic(err) || (err instanceof ProducerThreadError && err.unknownTopic)) {
          knownTopics.delete(topic);
          throw new UnknownTopicError(topic);
        }
        throw err;
      }
    },

    async subscribe(subscribeOptions) {
      validateSubscribeOptions(subscribeOptions);
      await whenConnected();
      await requireTopics(subscribeOptions.topics);
      const subscription = await startKafkaSubscription(kafka, subscribeOptions, consumerSettings, logger);
      subscriptions.add(subscription);
      void subscription.done.catch(() => undefined).finally(() => subscriptions.delete(subscription));
      return subscription;
    },

    async lag(groupId, topic) {
      await whenConnected();
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
      connection.stop();
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
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
