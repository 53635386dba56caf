/**
 * The embedded EventLog: an in-process, in-memory log with Kafka's semantics (partitions, key
 * ordering, consumer groups, commit-after-handle). It needs no durability of its own: the catalog
 * is the source of truth and re-publishes lost jobs (DESIGN.md, outbox).
 */
import type { Logger } from '@streamloop/core/logger';
import {
  type EventLog,
  EventLogClosedError,
  type Subscription,
  UnknownTopicError,
  validateSubscribeOptions,
} from './event-log.js';
import { createMemoryGroup, lagOf, type MemoryGroup } from './memory-consumer-group.js';
import { createMemoryTopic, type MemoryTopic } from './memory-topic.js';
import { createSignal } from './signal.js';

export interface MemoryEventLogDeps {
  /** Crashed subscriptions are logged here. */
  logger?: Logger;
}

export function createMemoryEventLog(deps: MemoryEventLogDeps = {}): EventLog {
  const topics = new Map<string, MemoryTopic>();
  const groups = new Map<string, MemoryGroup>();
  const subscriptions = new Set<Subscription>();
  const changed = createSignal();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new EventLogClosedError();
  };
  const requireTopic = (name: string): MemoryTopic => {
    const topic = topics.get(name);
    if (topic === undefined) throw new UnknownTopicError(name);
    return topic;
  };

  return {
    adapter: { port: 'event-log', kind: 'embedded', service: 'in-process log', target: 'in-process' },

    async ping() {
      assertOpen();
    },

    async ensureTopics(definitions) {
      assertOpen();
      for (const { name, partitions } of definitions) {
        if (!Number.isInteger(partitions) || partitions < 1) {
          throw new Error(`topic '${name}' needs a positive whole number of partitions, got ${partitions}`);
        }
        if (!topics.has(name)) topics.set(name, createMemoryTopic(name, partitions));
      }
    },

    async publish(topicName, messages) {
      assertOpen();
      if (messages.length === 0) return;
      const topic = requireTopic(topicName);
      const timestamp = Date.now();
      for (const message of messages) topic.append(message, timestamp);
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
      return groups.get(groupId)?.lag(topic) ?? lagOf(topic, new Map());
    },

    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
    },
  };
}
