/**
 * One topic of the in-process log: N append-only partitions, messages placed by a hash of their key
 * so a key keeps its order, offsets are array indexes (as decimal strings, like Kafka's).
 */
import type { ConsumedMessage, EventMessage } from './event-log.js';

export interface MemoryTopic {
  readonly name: string;
  readonly partitions: ConsumedMessage[][];
  append(message: EventMessage, timestamp: number): void;
}

export function createMemoryTopic(name: string, partitionCount: number): MemoryTopic {
  const partitions: ConsumedMessage[][] = Array.from({ length: partitionCount }, () => []);
  return {
    name,
    partitions,
    append(message, timestamp) {
      const partition = partitionForKey(message.key, partitionCount);
      const log = partitions[partition]!;
      log.push({
        topic: name,
        partition,
        offset: String(log.length),
        timestamp,
        key: message.key,
        // Copied so a caller reusing its buffer cannot rewrite history.
        value: Buffer.from(message.value),
        // Like Kafka: a message without headers comes back without a headers object.
        ...(message.headers && Object.keys(message.headers).length > 0
          ? { headers: { ...message.headers } }
          : {}),
      });
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
