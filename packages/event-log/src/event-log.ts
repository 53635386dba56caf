/**
 * The EventLog port: partitioned, ordered, replayable topics with consumer groups. Services talk
 * through it (jobs, lifecycle events, beacons); Kafka backs it in production and an in-process log
 * backs it on a fresh machine. Both adapters are held to one contract suite (test/contract.ts).
 */
import type { Port } from '@streamloop/core/port';

export interface EventMessage {
  /** Partitioning key: the same key always lands on the same partition, so it keeps its order. */
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface ConsumedMessage extends EventMessage {
  topic: string;
  partition: number;
  /** Decimal string: Kafka offsets are 64-bit. */
  offset: string;
  /** Milliseconds since the epoch, set when the log accepted the message. */
  timestamp: number;
}

/** Messages of ONE partition, in log order. */
export interface Batch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts: the oldest message (true) or the next one (false, default). */
  fromBeginning?: boolean;
  /** Upper bound on `batch.messages.length`. */
  maxBatchSize?: number;
  /**
   * Fuller batches for a throughput consumer: a fetch waits up to `maxWaitMs` until `minBytes`
   * are available (Kafka's fetch.min.bytes / fetch.max.wait.ms), and takes up to
   * `maxBytesPerPartition` of each partition (max.partition.fetch.bytes; kafkajs's default 1 MiB)
   * and `maxBytes` in all (fetch.max.bytes; 10 MiB). The in-process log hands out what it has at
   * once and ignores it.
   */
  batchWindow?: { minBytes: number; maxWaitMs: number; maxBytesPerPartition?: number; maxBytes?: number };
  /**
   * Batches of different partitions the handler may have in flight at once (Kafka; default 1, each
   * partition stays in order). A handler that waits on I/O (an insert) lets the next partition's
   * batch be prepared meanwhile. The in-process log hands out one batch at a time and ignores it.
   */
  concurrentPartitions?: number;
  /** Offsets are committed only after this resolves; if it throws, the subscription crashes. */
  handleBatch(batch: Batch): Promise<void>;
  /**
   * Proof of life for a watchdog: called after every fetch from the log (empty ones too) and every
   * group join. A consumer with lag that stops calling it has stopped receiving (kafkajs can stop
   * fetching without an error).
   */
  onActivity?(activity: SubscriptionActivity): void;
}

/**
 * 'retrying': the client lost its broker and is reconnecting on its own (kafkajs restarts its consumer
 * after a retriable crash) — alive, not silently stopped, so a watchdog must not restart it then.
 */
export type SubscriptionActivity = 'fetch' | 'group_join' | 'retrying';

export interface Subscription {
  /** graceful: finishes the in-flight batch, commits it, leaves the group */
  stop(): Promise<void>;
  /** resolves when stopped, rejects if the subscription crashed (handler threw) */
  readonly done: Promise<void>;
}

export interface TopicDefinition {
  name: string;
  partitions: number;
}

export interface EventLog extends Port {
  /** Idempotent: creates the missing topics, leaves existing ones as they are. */
  ensureTopics(topics: TopicDefinition[]): Promise<void>;
  /** Resolves only when the log durably accepted every message (Kafka: acks=all, idempotent producer). */
  publish(topic: string, messages: EventMessage[]): Promise<void>;
  /** Resolves when the consumer has joined its group and is running. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Messages of `topic` the group has not committed yet, summed over partitions; every retained
   * message for a group that never committed. What a consumer-lag metric reports.
   */
  lag(groupId: string, topic: string): Promise<number>;
}

/** Publishing to (or subscribing to) a topic nobody created: topics are never created implicitly. */
export class UnknownTopicError extends Error {
  readonly topic: string;
  constructor(topic: string) {
    super(
      `topic '${topic}' does not exist; create it with ensureTopics() first (topics are not auto-created)`,
    );
    this.name = 'UnknownTopicError';
    this.topic = topic;
  }
}

/** Used after close(). */
export class EventLogClosedError extends Error {
  constructor() {
    super('the event log is closed');
    this.name = 'EventLogClosedError';
  }
}

export const DEFAULT_MAX_BATCH_SIZE = 100;

export function validateSubscribeOptions(options: SubscribeOptions): void {
  if (options.topics.length === 0) throw new Error('subscribe needs at least one topic');
  if (options.groupId.trim() === '') throw new Error('subscribe needs a groupId');
  const size = options.maxBatchSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
    throw new Error(`maxBatchSize must be a positive integer, got ${size}`);
  }
  const concurrent = options.concurrentPartitions;
  if (concurrent !== undefined && (!Number.isInteger(concurrent) || concurrent < 1)) {
    throw new Error(`concurrentPartitions must be a positive integer, got ${concurrent}`);
  }
  const window = options.batchWindow;
  if (
    window !== undefined &&
    !(
      Number.isInteger(window.minBytes) &&
      window.minBytes >= 1 &&
      window.maxWaitMs > 0 &&
      [window.maxBytesPerPartition, window.maxBytes].every(
        (bytes) => bytes === undefined || (Number.isInteger(bytes) && bytes >= 1),
      )
    )
  ) {
    throw new Error(
      `batchWindow needs minBytes ≥ 1 (integer), maxWaitMs > 0 and byte limits ≥ 1 (integers), got ${JSON.stringify(window)}`,
    );
  }
}
