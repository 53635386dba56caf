/**
 * The embedded EventLog over any local storage: Kafka's semantics (partitions, key ordering,
 * consumer groups, commit-after-handle) for one process, and retention that releases what every
 * group subscribed to a topic has committed. Where topics and offsets live is the storage's job:
 * memory (memory-event-log.ts) or files in the data dir that survive a restart (file-event-log.ts).
 */
import type { Logger } from '@streamloop/core/logger';
import type { AdapterInfo } from '@streamloop/core/port';
import {
  type EventLog,
  EventLogClosedError,
  type Subscription,
  type TopicDefinition,
  UnknownTopicError,
  validateSubscribeOptions,
} from './event-log.js';
import {
  createMemoryGroup,
  type GroupOffsets,
  lagOf,
  type MemoryGroup,
  partitionKey,
} from './memory-consumer-group.js';
import type { LocalTopic } from './memory-topic.js';
import { createSignal } from './signal.js';

export interface LocalLogStorage {
  readonly adapter: AdapterInfo;
  /** The topics there are (after a restart: the ones kept). */
  readonly topics: Map<string, LocalTopic>;
  createTopic(definition: TopicDefinition): Promise<LocalTopic>;
  /** groupId → partitionKey → committed offset (after a restart: the ones kept). */
  readonly offsets: Map<string, Map<string, number>>;
  /** Keeps `offsets` as they are now; resolves once they are kept. */
  saveOffsets(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalEventLogDeps {
  /** Crashed subscriptions and failed releases are logged here. */
  logger?: Logger;
}

export function createLocalEventLog(storage: LocalLogStorage, deps: LocalEventLogDeps = {}): EventLog {
  const { topics } = storage;
  const groups = new Map<string, MemoryGroup>();
  const subscriptions = new Set<Subscription>();
  const pendingTopics = new Map<string, Promise<LocalTopic>>();
  const changed = createSignal();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new EventLogClosedError();
  };
  const requireTopic = (name: string): LocalTopic => {
    const topic = topics.get(name);
    if (topic === undefined) throw new UnknownTopicError(name);
    return topic;
  };

  /** Releases what every group that ever consumed this partition has committed. */
  async function release(topic: LocalTopic, partition: number): Promise<void> {
    const key = partitionKey(topic.name, partition);
    let floor = Number.POSITIVE_INFINITY;
    for (const committed of storage.offsets.values()) {
      const offset = committed.get(key);
      if (offset !== undefined) floor = Math.min(floor, offset);
    }
    if (Number.isFinite(floor)) await topic.partitions[partition]!.releaseBelow(floor);
  }

  function groupOffsets(groupId: string): GroupOffsets {
    let committed = storage.offsets.get(groupId);
    if (committed === undefined) {
      committed = new Map();
      storage.offsets.set(groupId, committed);
    }
    const offsets = committed;
    return {
      get: (key) => offsets.get(key),
      async commit(key, offset) {
        offsets.set(key, offset);
        await storage.saveOffsets();
        const [topicName, partition] = key.split('\u0000');
        const topic = topics.get(topicName!);
        if (topic === undefined || closed) return;
        await release(topic, Number(partition)).catch((err: unknown) =>
          deps.logger?.error(
            { err, topic: topic.name, partition },
            'event-log could not release committed messages',
          ),
        );
      },
    };
  }

  return {
    adapter: storage.adapter,

    async ping() {
      assertOpen();
    },

    async ensureTopics(definitions) {
      assertOpen();
      for (const definition of definitions) {
        const { name, partitions } = definition;
        if (!Number.isInteger(partitions) || partitions < 1) {
          throw new Error(`topic '${name}' needs a positive whole number of partitions, got ${partitions}`);
        }
        if (topics.has(name)) continue;
        // Two callers ensuring one topic at once must not both open (and write) its files.
        let creating = pendingTopics.get(name);
        if (creating === undefined) {
          creating = storage.createTopic(definition).finally(() => pendingTopics.delete(name));
          pendingTopics.set(name, creating);
        }
        const topic = await creating;
        topics.set(name, topic);
      }
    },

    async publish(topicName, messages) {
      assertOpen();
      if (messages.length === 0) return;
      await requireTopic(topicName).append(messages, Date.now());
      changed.notify();
    },

    async subscribe(options) {
      assertOpen();
      validateSubscribeOptions(options);
      for (const name of options.topics) requireTopic(name);
      let group = groups.get(options.groupId);
      if (group === undefined) {
        group = createMemoryGroup({
          groupId: options.groupId,
          topic: (name) => topics.get(name),
          offsets: groupOffsets(options.groupId),
          changed,
          ...(deps.logger === undefined ? {} : { logger: deps.logger }),
        });
        groups.set(options.groupId, group);
      }
      const subscription = group.join(options);
      subscriptions.add(subscription);
      void subscription.done.catch(() => undefined).finally(() => subscriptions.delete(subscription));
      return subscription;
    },

    async lag(groupId, topicName) {
      assertOpen();
      const topic = requireTopic(topicName);
      const committed = storage.offsets.get(groupId);
      return lagOf(topic, committed === undefined ? undefined : { get: (key) => committed.get(key) });
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await storage.close();
    },
  };
}
