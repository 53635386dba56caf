/**
 * A topic of the embedded log as its consumer groups see it: N partitions, each an offset range
 * [startOffset, endOffset) that can be read in order and released from below once every group has
 * committed past it. Messages are placed by a hash of their key so a key keeps its order. This file
 * holds that shape and its in-memory implementation; file-topic.ts keeps the same shape on disk.
 */
import type { ConsumedMessage, EventMessage } from './event-log.js';

export interface LocalPartition {
  /** The oldest offset still held (everything below was released). */
  readonly startOffset: number;
  /** One past the newest message. */
  readonly endOffset: number;
  /**
   * Up to `max` messages from `from` on, and where to read next. `next` can pass offsets that hold
   * no message (a damaged record the file log skipped), so a consumer commits `next`, not last + 1.
   */
  read(from: number, max: number): Promise<{ messages: ConsumedMessage[]; next: number }>;
  /** Drops what lies below `offset` (every group has committed it). */
  releaseBelow(offset: number): Promise<void>;
}

export interface LocalTopic {
  readonly name: string;
  readonly partitions: readonly LocalPartition[];
  /** Resolves once the log holds every message (for the file log: fsynced). */
  append(messages: readonly EventMessage[], timestamp: number): Promise<void>;
}

/** What a consumer receives for a published message, built the same way by every local topic. */
export function consumedMessage(
  topic: string,
  partition: number,
  offset: number,
  timestamp: number,
  message: EventMessage,
): ConsumedMessage {
  return {
    topic,
    partition,
    offset: String(offset),
    timestamp,
    key: message.key,
    value: message.value,
    // Like Kafka: a message without headers comes back without a headers object.
    ...(message.headers && Object.keys(message.headers).length > 0
      ? { headers: { ...message.headers } }
      : {}),
  };
}

/** Messages grouped by the partition their key hashes to, each group in publish order. */
export function byPartition(
  messages: readonly EventMessage[],
  partitionCount: number,
): Map<number, EventMessage[]> {
  const groups = new Map<number, EventMessage[]>();
  for (const message of messages) {
    const partition = partitionForKey(message.key, partitionCount);
    const group = groups.get(partition);
    if (group === undefined) groups.set(partition, [message]);
    else group.push(message);
  }
  return groups;
}

/** Committed messages a memory partition keeps before releasing them in one go. */
const MEMORY_RELEASE_STEP = 1024;

interface MemoryPartition extends LocalPartition {
  push(message: ConsumedMessage): void;
}

function createMemoryPartition(): MemoryPartition {
  let base = 0;
  let messages: ConsumedMessage[] = [];
  return {
    get startOffset() {
      return base;
    },
    get endOffset() {
      return base + messages.length;
    },
    async read(from, max) {
      const start = Math.max(from, base);
      const slice = messages.slice(start - base, start - base + max);
      return { messages: slice, next: start + slice.length };
    },
    async releaseBelow(offset) {
      const drop = Math.min(offset, base + messages.length) - base;
      // Released in steps like the file log's whole segments: cheaper than shifting the array on
      // every commit, and a group that comes later from the beginning still finds the recent ones.
      if (drop >= MEMORY_RELEASE_STEP) {
        messages = messages.slice(drop);
        base += drop;
      }
    },
    push(message) {
      messages.push(message);
    },
  };
}

export function createMemoryTopic(name: string, partitionCount: number): LocalTopic {
  const partitions = Array.from({ length: partitionCount }, createMemoryPartition);
  return {
    name,
    partitions,
    async append(messages, timestamp) {
      for (const [partition, group] of byPartition(messages, partitionCount)) {
        const log = partitions[partition]!;
        for (const message of group) {
          // Copied so a caller reusing its buffer cannot rewrite history.
          const copy = { ...message, value: Buffer.from(message.value) };
          log.push(consumedMessage(name, partition, log.endOffset, timestamp, copy));
        }
      }
    },
  };
}

/** FNV-1a over the UTF-8 key: stable across processes and runs, spreads similar ids well. */
export function partitionForKey(key: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitionCount;
}
