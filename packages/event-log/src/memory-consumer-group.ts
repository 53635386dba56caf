/**
 * A consumer group of the embedded log, with Kafka's rules: the group's partitions are split
 * between its members and re-split whenever one joins or leaves; a member handles one batch at a time
 * and the group commits its offset only after the handler resolved; a member whose handler throws
 * leaves, and whoever takes its partitions resumes from the committed offset. A partition that moves
 * while its old owner is mid-batch waits for that batch, so two members never handle it at once.
 * Where offsets live (memory, or a file that survives a restart) is the log's choice: `offsets`.
 */
import type { Logger } from '@streamloop/core/logger';
import { DEFAULT_MAX_BATCH_SIZE, type SubscribeOptions, type Subscription } from './event-log.js';
import type { LocalTopic } from './memory-topic.js';
import type { Signal } from './signal.js';

/** A group's committed offsets, by `partitionKey(topic, partition)`. */
export interface GroupOffsets {
  get(key: string): number | undefined;
  /**
   * Takes effect for `get` at once; resolves once the commit is kept (the file log: on disk), so a
   * stop after it loses nothing.
   */
  commit(key: string, offset: number): Promise<void>;
}

export interface MemoryGroupDeps {
  groupId: string;
  topic(name: string): LocalTopic | undefined;
  offsets: GroupOffsets;
  /** Notified on every publish; the group notifies it on rebalances and finished batches. */
  changed: Signal;
  logger?: Logger;
}

export interface MemoryGroup {
  join(options: SubscribeOptions): Subscription;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Uncommitted messages of `topic` for a group with these offsets (all held ones where it never committed). */
export function lagOf(topic: LocalTopic, offsets: Pick<GroupOffsets, 'get'> | undefined): number {
  return topic.partitions.reduce((sum, log, partition) => {
    const from = Math.max(offsets?.get(partitionKey(topic.name, partition)) ?? 0, log.startOffset);
    return sum + Math.max(0, log.endOffset - from);
  }, 0);
}

interface PartitionRef {
  key: string;
  topic: LocalTopic;
  partition: number;
}

interface Member {
  readonly options: SubscribeOptions;
  assigned: PartitionRef[];
  cursor: number;
  stopping: boolean;
}

export function createMemoryGroup(deps: MemoryGroupDeps): MemoryGroup {
  const members: Member[] = [];
  const inFlight = new Map<string, Member>();

  function rebalance(): void {
    for (const member of members) member.assigned = [];
    const topicNames = [...new Set(members.flatMap((m) => m.options.topics))].sort();
    for (const name of topicNames) {
      const topic = deps.topic(name);
      const eligible = members.filter((m) => m.options.topics.includes(name));
      if (topic === undefined) continue;
      topic.partitions.forEach((log, partition) => {
        const owner = eligible[partition % eligible.length]!;
        const key = partitionKey(name, partition);
        owner.assigned.push({ key, topic, partition });
        if (deps.offsets.get(key) === undefined) {
          // The start position of a partition the group never committed is fixed, and kept, the
          // first time it is assigned: a later owner, or the same group after a restart, goes on
          // from there instead of skipping to the then-newest message.
          const start = owner.options.fromBeginning ? log.startOffset : log.endOffset;
          deps.offsets.commit(key, start).catch((err: unknown) => {
            deps.logger?.error({ err, groupId: deps.groupId }, 'event-log could not keep a start position');
          });
        }
      });
    }
    deps.changed.notify();
  }

  /** The next partition with messages for this member and nobody handling it; claimed before return. */
  function claim(member: Member): { ref: PartitionRef; from: number } | undefined {
    const count = member.assigned.length;
    for (let i = 0; i < count; i++) {
      // Rotate so one busy partition cannot starve the others.
      const ref = member.assigned[(member.cursor + i) % count]!;
      if (inFlight.has(ref.key)) continue;
      const log = ref.topic.partitions[ref.partition]!;
      const from = Math.max(deps.offsets.get(ref.key) ?? 0, log.startOffset);
      if (from >= log.endOffset) continue;
      member.cursor = (member.cursor + i + 1) % count;
      inFlight.set(ref.key, member);
      return { ref, from };
    }
    return undefined;
  }

  async function consume(member: Member): Promise<void> {
    while (!member.stopping) {
      const work = claim(member);
      member.options.onActivity?.('fetch');
      if (work === undefined) {
        await deps.changed.wait();
        continue;
      }
      const { ref, from } = work;
      try {
        const { messages, next } = await ref.topic.partitions[ref.partition]!.read(
          from,
          member.options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
        );
        if (messages.length > 0) {
          await member.options.handleBatch({ topic: ref.topic.name, partition: ref.partition, messages });
        }
        // Committed before the partition is free again, so its next owner starts after this batch.
        await deps.offsets.commit(ref.key, next);
      } finally {
        inFlight.delete(ref.key);
      }
      deps.changed.notify();
    }
  }

  function leave(member: Member): void {
    const index = members.indexOf(member);
    if (index >= 0) members.splice(index, 1);
    rebalance();
  }

  return {
    join(options) {
      const member: Member = { options, assigned: [], cursor: 0, stopping: false };
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
