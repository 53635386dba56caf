/**
 * A consumer group of the in-process log, with Kafka's rules: the group's partitions are split
 * between its members and re-split whenever one joins or leaves; a member handles one batch at a time
 * and the group commits its offset only after the handler resolved; a member whose handler throws
 * leaves, and whoever takes its partitions resumes from the committed offset. A partition that moves
 * while its old owner is mid-batch waits for that batch, so two members never handle it at once.
 */
import type { Logger } from '@streamloop/core/logger';
import { type Batch, DEFAULT_MAX_BATCH_SIZE, type SubscribeOptions, type Subscription } from './event-log.js';
import type { MemoryTopic } from './memory-topic.js';
import type { Signal } from './signal.js';

export interface MemoryGroupDeps {
  groupId: string;
  topic(name: string): MemoryTopic | undefined;
  /** Notified on every publish; the group notifies it on rebalances and finished batches. */
  changed: Signal;
  logger?: Logger;
}

export interface MemoryGroup {
  join(options: SubscribeOptions): Subscription;
  /** Uncommitted messages of `topic` (all of them on partitions the group never committed). */
  lag(topic: MemoryTopic): number;
}

/** Uncommitted messages of `topic` for a group with these commits. */
export function lagOf(topic: MemoryTopic, committed: ReadonlyMap<string, number>): number {
  return topic.partitions.reduce(
    (sum, log, partition) => sum + log.length - (committed.get(`${topic.name}\u0000${partition}`) ?? 0),
    0,
  );
}

interface PartitionRef {
  key: string;
  topic: MemoryTopic;
  partition: number;
}

interface Member {
  readonly options: SubscribeOptions;
  assigned: PartitionRef[];
  /** Where to start on a partition the group never committed: decided when it was assigned. */
  resetPositions: Map<string, number>;
  cursor: number;
  stopping: boolean;
}

export function createMemoryGroup(deps: MemoryGroupDeps): MemoryGroup {
  const members: Member[] = [];
  const committed = new Map<string, number>();
  const inFlight = new Map<string, Member>();

  function rebalance(): void {
    const previous = new Map(members.map((m) => [m, new Set(m.assigned.map((r) => r.key))]));
    for (const member of members) member.assigned = [];
    const topicNames = [...new Set(members.flatMap((m) => m.options.topics))].sort();
    for (const name of topicNames) {
      const topic = deps.topic(name);
      const eligible = members.filter((m) => m.options.topics.includes(name));
      if (topic === undefined) continue;
      topic.partitions.forEach((_, partition) => {
        const owner = eligible[partition % eligible.length]!;
        owner.assigned.push({ key: `${name}\u0000${partition}`, topic, partition });
      });
    }
    for (const member of members) {
      const had = previous.get(member)!;
      const resets = new Map<string, number>();
      for (const ref of member.assigned) {
        const kept = had.has(ref.key) ? member.resetPositions.get(ref.key) : undefined;
        const end = ref.topic.partitions[ref.partition]!.length;
        resets.set(ref.key, kept ?? (member.options.fromBeginning ? 0 : end));
      }
      member.resetPositions = resets;
    }
    deps.changed.notify();
  }

  function nextBatch(member: Member): { ref: PartitionRef; from: number; batch: Batch } | undefined {
    const count = member.assigned.length;
    for (let i = 0; i < count; i++) {
      // Rotate so one busy partition cannot starve the others.
      const ref = member.assigned[(member.cursor + i) % count]!;
      if (inFlight.has(ref.key)) continue;
      const from = committed.get(ref.key) ?? member.resetPositions.get(ref.key) ?? 0;
      const log = ref.topic.partitions[ref.partition]!;
      if (from >= log.length) continue;
      member.cursor = (member.cursor + i + 1) % count;
      const messages = log.slice(from, from + (member.options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE));
      return { ref, from, batch: { topic: ref.topic.name, partition: ref.partition, messages } };
    }
    return undefined;
  }

  async function consume(member: Member): Promise<void> {
    while (!member.stopping) {
      const work = nextBatch(member);
      member.options.onActivity?.('fetch');
      if (work === undefined) {
        await deps.changed.wait();
        continue;
      }
      inFlight.set(work.ref.key, member);
      try {
        await member.options.handleBatch(work.batch);
      } finally {
        inFlight.delete(work.ref.key);
      }
      committed.set(work.ref.key, work.from + work.batch.messages.length);
      deps.changed.notify();
    }
  }

  function leave(member: Member): void {
    const index = members.indexOf(member);
    if (index >= 0) members.splice(index, 1);
    rebalance();
  }

  return {
    lag: (topic) => lagOf(topic, committed),
    join(options) {
      const member: Member = { options, assigned: [], resetPositions: new Map(), cursor: 0, stopping: false };
      members.push(member);
      rebalance();
      options.onActivity?.('group_join');
      const done = consume(member).then(
        () => leave(member),
        (err: unknown) => {
          leave(member);
          deps.logger?.error(
            { err, groupId: deps.groupId },
            'event-log subscription crashed: handleBatch threw',
          );
          throw err;
        },
      );
      // Whoever awaits `done` still sees the crash; nobody awaiting it must not kill the process.
      done.catch(() => undefined);
      return {
        done,
        stop: async () => {
          member.stopping = true;
          deps.changed.notify();
          await done.catch(() => undefined);
        },
      };
    },
  };
}
