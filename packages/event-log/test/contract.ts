/**
 * The EventLog contract, written once and run against every adapter (event-log.contract.test.ts).
 * What it pins is what services rely on: per-key order, groups that split partitions, independent
 * groups that each see everything, commit-after-handle (at-least-once), crash → redelivery to the
 * next member, graceful stop, no implicit topics.
 */
import type { Logger } from '@streamloop/core/logger';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConsumedMessage,
  type EventLog,
  EventLogClosedError,
  type SubscribeOptions,
  type Subscription,
  UnknownTopicError,
} from '../src/event-log.js';
import { describeConsumerPlumbing } from './consumer-plumbing.js';
import { startChild } from './fixtures/child-process.js';
import type {
  HolderFixtureInput,
  HolderFixtureMessage,
  LogLocation,
} from './fixtures/event-log-holder.fixture.js';
import {
  createCapturedLogger,
  createRecorder,
  deferred,
  idOf,
  makeMessage,
  makeSequence,
  sortedIds,
} from './helpers.js';

export interface EventLogHarness {
  open(logger: Logger): Promise<EventLog>;
  /** Removes what a test left on a shared service (topics, consumer groups). */
  cleanup?(created: { topics: string[]; groups: string[] }): Promise<void>;
  teardown?(): Promise<void>;
}

export interface Fixture {
  log: EventLog;
  logLines: Record<string, unknown>[];
  /** A unique topic name, removed after the test. */
  topicName(): string;
  /** A unique topic, created with `partitions` partitions. */
  topic(partitions: number): Promise<string>;
  group(): string;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  dispose(): Promise<void>;
}

async function createFixture(harness: EventLogHarness): Promise<Fixture> {
  const { logger, lines } = createCapturedLogger();
  const log = await harness.open(logger);
  const topics: string[] = [];
  const groups: string[] = [];
  const subscriptions: Subscription[] = [];
  const topicName = (): string => {
    const name = uniqueName('el-topic');
    topics.push(name);
    return name;
  };
  return {
    log,
    logLines: lines,
    topicName,
    async topic(partitions) {
      const name = topicName();
      await log.ensureTopics([{ name, partitions }]);
      return name;
    },
    group() {
      const name = uniqueName('el-group');
      groups.push(name);
      return name;
    },
    async subscribe(options) {
      const subscription = await log.subscribe(options);
      subscriptions.push(subscription);
      return subscription;
    },
    async dispose() {
      await Promise.all(subscriptions.map((s) => s.stop()));
      await log.close();
      await harness.cleanup?.({ topics, groups });
    },
  };
}

function offsetsInOrder(messages: ConsumedMessage[]): boolean {
  return messages.every((m, i) => i === 0 || BigInt(m.offset) > BigInt(messages[i - 1]!.offset));
}

export function describeEventLogContract(label: string, setup: () => Promise<EventLogHarness>): void {
  describe(label, () => {
    let harness: EventLogHarness;
    let fx: Fixture;

    beforeAll(async () => {
      harness = await setup();
    });
    afterAll(async () => {
      await harness?.teardown?.();
    });
    beforeEach(async () => {
      fx = await createFixture(harness);
    });
    afterEach(async () => {
      await fx.dispose();
    });

    it('describes itself as the event-log port and answers ping', async () => {
      expect(fx.log.adapter.port).toBe('event-log');
      await expect(fx.log.ping()).resolves.toBeUndefined();
    });

    it("reports a group's lag (uncommitted messages) and proof-of-life activity while it consumes", async () => {
      const topic = await fx.topic(2);
      const groupId = fx.group();
      await fx.log.publish(topic, makeSequence(10, 5));
      // A group that never committed lags by everything retained.
      expect(await fx.log.lag(groupId, topic)).toBe(10);

      const activity = new Set<string>();
      const recorder = createRecorder();
      await fx.subscribe({
        groupId,
        topics: [topic],
        fromBeginning: true,
        ...recorder,
        onActivity: (kind) => activity.add(kind),
      });
      await eventually('all 10 handled and committed', async () =>
        recorder.handled.length >= 10 && (await fx.log.lag(groupId, topic)) === 0 ? true : undefined,
      );
      await fx.log.publish(topic, makeSequence(3, 5, 'n'));
      await eventually('the 3 new ones handled', async () =>
        recorder.handled.length >= 13 && (await fx.log.lag(groupId, topic)) === 0 ? true : undefined,
      );
      expect([...activity].sort()).toEqual(['fetch', 'group_join']);
      await expect(fx.log.lag(groupId, fx.topicName())).rejects.toBeInstanceOf(UnknownTopicError);
    });

    it('ensureTopics creates missing topics, keeps existing ones and can be repeated', async () => {
      const first = await fx.topic(3);
      const second = fx.topicName();
      await fx.log.ensureTopics([{ name: first, partitions: 3 }]);
      await fx.log.ensureTopics([
        { name: first, partitions: 3 },
        { name: second, partitions: 1 },
      ]);
      await fx.log.ensureTopics([{ name: second, partitions: 1 }]);

      const messages = makeSequence(30, 30);
      await fx.log.publish(first, messages);
      await fx.log.publish(second, [makeMessage({ id: 'only' })]);
      const recorder = createRecorder();
      await fx.subscribe({ groupId: fx.group(), topics: [first, second], fromBeginning: true, ...recorder });

      await eventually('every message from both topics', () =>
        recorder.handled.length >= 31 ? true : undefined,
      );
      const partitions = new Set(recorder.handled.filter((m) => m.topic === first).map((m) => m.partition));
      expect([...partitions].every((p) => p >= 0 && p < 3)).toBe(true);
      expect(partitions.size).toBeGreaterThan(1);
      expect(recorder.handled.filter((m) => m.topic === second).map(idOf)).toEqual(['only']);
    });

    it.each([
      ['publish', (log: EventLog, topic: string) => log.publish(topic, [makeMessage()])],
      [
        'subscribe',
        (log: EventLog, topic: string) =>
          log.subscribe({ groupId: uniqueName('el-group'), topics: [topic], handleBatch: async () => {} }),
      ],
    ])('%s on a topic that was never ensured fails with an error naming the topic', async (_, act) => {
      const topic = uniqueName('el-missing');
      const attempt = act(fx.log, topic);
      await expect(attempt).rejects.toBeInstanceOf(UnknownTopicError);
      await expect(attempt).rejects.toThrow(`topic '${topic}' does not exist; create it with ensureTopics()`);
    });

    it('an empty publish is a no-op', async () => {
      const topic = await fx.topic(1);
      await fx.log.publish(topic, []);
      await fx.log.publish(topic, [makeMessage({ id: 'first-real' })]);
      const recorder = createRecorder();
      await fx.subscribe({ groupId: fx.group(), topics: [topic], fromBeginning: true, ...recorder });

      await eventually('the one real message', () => (recorder.handled.length > 0 ? true : undefined));
      expect(recorder.handled.map((m) => [idOf(m), m.offset])).toEqual([['first-real', '0']]);
    });

    it('delivers each key in publish order, on one partition, in batches of one partition, with fields intact', async () => {
      const topic = await fx.topic(4);
      const messages = makeSequence(60, 6);
      const before = Date.now();
      for (let i = 0; i < messages.length; i += 15) await fx.log.publish(topic, messages.slice(i, i + 15));
      await fx.log.publish(topic, [{ key: 'bare', value: Buffer.from([0, 255, 1]) }]);
      const recorder = createRecorder();
      await fx.subscribe({
        groupId: fx.group(),
        topics: [topic],
        fromBeginning: true,
        maxBatchSize: 7,
        ...recorder,
      });

      await eventually('all 61 messages', () => (recorder.handled.length >= 61 ? true : undefined));
      expect(recorder.handled).toHaveLength(61);
      for (const batch of recorder.batches) {
        expect(batch.messages.length).toBeGreaterThan(0);
        expect(batch.messages.length).toBeLessThanOrEqual(7);
        expect(batch.messages.every((m) => m.topic === topic && m.partition === batch.partition)).toBe(true);
        expect(offsetsInOrder(batch.messages)).toBe(true);
      }
      const byKey = new Map<string, ConsumedMessage[]>();
      for (const m of recorder.handled.filter((msg) => msg.key !== 'bare')) {
        byKey.set(m.key, [...(byKey.get(m.key) ?? []), m]);
      }
      expect(byKey.size).toBe(6);
      for (const [key, received] of byKey) {
        expect(
          received.map((m) => m.headers?.seq),
          key,
        ).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
        expect(new Set(received.map((m) => m.partition)).size, key).toBe(1);
      }
      const bare = recorder.handled.find((m) => m.key === 'bare')!;
      expect(bare.value).toEqual(Buffer.from([0, 255, 1]));
      expect(bare.headers).toBeUndefined();
      expect(bare.timestamp).toBeGreaterThanOrEqual(before - 60_000);
      expect(bare.timestamp).toBeLessThanOrEqual(Date.now() + 60_000);
    });

    it('round-trips headers', async () => {
      const topic = await fx.topic(1);
      const headers = {
        'content-type': 'application/json',
        'event-name': 'qoe.beacon.v1',
        empty: '',
        ünï: 'çødé ✓',
      };
      await fx.log.publish(topic, [makeMessage({ headers })]);
      const recorder = createRecorder();
      await fx.subscribe({ groupId: fx.group(), topics: [topic], fromBeginning: true, ...recorder });

      await eventually('the message', () => recorder.handled[0]);
      expect(recorder.handled[0]!.headers).toEqual(headers);
    });

    it('a new group without fromBeginning starts with messages published after subscribe resolved', async () => {
      const topic = await fx.topic(1);
      await fx.log.publish(topic, [makeMessage({ id: 'old' })]);
      const recorder = createRecorder();
      await fx.subscribe({ groupId: fx.group(), topics: [topic], ...recorder });
      await fx.log.publish(topic, [makeMessage({ id: 'new' })]);

      await eventually('the new message', () => (recorder.handled.length > 0 ? true : undefined));
      expect(recorder.ids()).toEqual(['new']);
    });

    it('independent groups each get every message', async () => {
      const topic = await fx.topic(3);
      const recorders = [createRecorder(), createRecorder()];
      for (const recorder of recorders) {
        await fx.subscribe({ groupId: fx.group(), topics: [topic], fromBeginning: true, ...recorder });
      }
      const messages = makeSequence(20, 5);
      await fx.log.publish(topic, messages);

      for (const recorder of recorders) {
        await eventually('every message in each group', () =>
          recorder.handled.length >= 20 ? true : undefined,
        );
        expect(recorder.ids().sort()).toEqual(sortedIds(messages));
      }
    });

    it('members of one group split the partitions and each message is handled by one member', async () => {
      const topic = await fx.topic(4);
      const groupId = fx.group();
      const members = [createRecorder(), createRecorder()];
      for (const member of members)
        await fx.subscribe({ groupId, topics: [topic], fromBeginning: true, ...member });
      const messages = makeSequence(40, 20);
      await fx.log.publish(topic, messages);

      const all = () => members.flatMap((m) => m.ids());
      await eventually('every message handled by the group', () => (all().length >= 40 ? true : undefined));
      expect(all().sort()).toEqual(sortedIds(messages));
      const [a, b] = members.map((m) => new Set(m.handled.map((msg) => msg.partition)));
      expect(a!.size).toBeGreaterThan(0);
      expect(b!.size).toBeGreaterThan(0);
      expect([...a!].filter((p) => b!.has(p))).toEqual([]);
    });

    it('commits only after the handler resolved, so the next member resumes after the handled messages', async () => {
      const topic = await fx.topic(1);
      const groupId = fx.group();
      const first = createRecorder();
      const sub = await fx.subscribe({ groupId, topics: [topic], fromBeginning: true, ...first });
      await fx.log.publish(topic, makeSequence(5, 1, 'early'));
      await eventually('the early messages', () => (first.handled.length >= 5 ? true : undefined));
      await sub.stop();

      await fx.log.publish(topic, makeSequence(3, 1, 'late'));
      const second = createRecorder();
      await fx.subscribe({ groupId, topics: [topic], fromBeginning: true, ...second });
      await eventually('the late messages', () => (second.handled.length >= 3 ? true : undefined));
      expect(second.ids()).toEqual(['late-0', 'late-1', 'late-2']);
    });

    it('stop() finishes the in-flight batch, commits it and resolves done', async () => {
      const topic = await fx.topic(1);
      const groupId = fx.group();
      const gate = deferred();
      const first = createRecorder({ gate: gate.promise });
      const sub = await fx.subscribe({ groupId, topics: [topic], fromBeginning: true, ...first });
      const messages = makeSequence(4, 1, 'batch');
      await fx.log.publish(topic, messages);
      await eventually('a batch in flight', () => first.batches[0]);

      const stopping = sub.stop();
      gate.resolve();
      await stopping;
      await expect(sub.done).resolves.toBeUndefined();
      expect(first.handled.length).toBeGreaterThan(0);

      await fx.log.publish(topic, [makeMessage({ id: 'after-stop' })]);
      const second = createRecorder();
      await fx.subscribe({ groupId, topics: [topic], fromBeginning: true, ...second });
      await eventually('the message after stop', () =>
        second.ids().includes('after-stop') ? true : undefined,
      );
      // Nothing handled by the stopped member comes back; nothing it did not handle is lost.
      expect(second.ids().filter((id) => first.ids().includes(id))).toEqual([]);
      expect([...first.ids(), ...second.ids()].sort()).toEqual([...sortedIds(messages), 'after-stop'].sort());
    });

    it('a handler that throws crashes the subscription and the next member gets that batch again', async () => {
      const topic = await fx.topic(1);
      const groupId = fx.group();
      const crashing = createRecorder({
        fail: (batch) =>
          batch.messages.some((m) => m.key === 'poison') ? new Error('handler exploded') : undefined,
      });
      const sub = await fx.subscribe({ groupId, topics: [topic], fromBeginning: true, ...crashing });
      await fx.log.publish(topic, [makeMessage({ id: 'ok-1' }), makeMessage({ id: 'ok-2' })]);
      await eventually('the messages before the crash', () =>
        crashing.handled.length >= 2 ? true : undefined,
      );
      await fx.log.publish(topic, [
        makeMessage({ id: 'poison', key: 'poison' }),
        makeMessage({ id: 'after' }),
      ]);

      await expect(sub.done).rejects.toThrow('handler exploded');
      await expect(sub.stop()).resolves.toBeUndefined();
      expect(fx.logLines.some((l) => l.groupId === groupId && String(l.msg).includes('crashed'))).toBe(true);

      const next = createRecorder();
      await fx.subscribe({ groupId, topics: [topic], fromBeginning: true, ...next });
      await eventually('the redelivered batch', () => (next.ids().includes('after') ? true : undefined));
      expect(next.ids()).toEqual(['poison', 'after']);
    });

    it('when a member crashes, the remaining member takes over its partitions from the last commit', async () => {
      const topic = await fx.topic(2);
      const groupId = fx.group();
      let crashed = false;
      // The first member to meet the poison message crashes; whoever gets it next handles it.
      const fail = (batch: { messages: ConsumedMessage[] }) => {
        if (crashed || !batch.messages.some((m) => m.key === 'poison')) return undefined;
        crashed = true;
        return new Error('member crashed');
      };
      const members = [createRecorder({ fail }), createRecorder({ fail })];
      const states: string[] = [];
      for (const [i, member] of members.entries()) {
        const sub = await fx.subscribe({ groupId, topics: [topic], fromBeginning: true, ...member });
        states[i] = 'running';
        sub.done.then(
          () => (states[i] = 'stopped'),
          () => (states[i] = 'crashed'),
        );
      }
      const before = makeSequence(10, 10, 'before');
      await fx.log.publish(topic, before);
      await eventually('the first messages', () =>
        members.flatMap((m) => m.handled).length >= 10 ? true : undefined,
      );
      const after = makeSequence(10, 10, 'after');
      await fx.log.publish(topic, [makeMessage({ id: 'poison', key: 'poison' }), ...after]);

      await eventually('one member to crash', () => (states.includes('crashed') ? true : undefined));
      expect([...states].sort()).toEqual(['crashed', 'running']);
      const survivor = members[states.indexOf('running')]!;

      const handled = () => members.flatMap((m) => m.ids());
      await eventually('the poison and later messages handled by the survivor', () =>
        survivor.ids().includes('poison') && handled().length >= 21 ? true : undefined,
      );
      expect(new Set(handled())).toEqual(new Set([...before, ...after].map(idOf).concat('poison')));
    });

    it('close() stops subscriptions, can be repeated, and refuses later publishes', async () => {
      const topic = await fx.topic(1);
      const sub = await fx.subscribe({ groupId: fx.group(), topics: [topic], ...createRecorder() });
      await fx.log.close();
      await fx.log.close();
      await expect(sub.done).resolves.toBeUndefined();
      await expect(fx.log.publish(topic, [makeMessage()])).rejects.toBeInstanceOf(EventLogClosedError);
    });

    describeConsumerPlumbing(() => fx);
  });
}

/** An adapter whose log outlives the process using it: the file log, or Kafka on a private broker. */
export interface DurableEventLogHarness {
  /** Where the log is, for a second process to open it. */
  location: LogLocation;
  open(logger: Logger): Promise<EventLog>;
  /** A clean restart of what holds the data (Kafka: the broker, SIGTERM and start again). */
  restartBackend?(): Promise<void>;
  /**
   * What holds the data dies without a goodbye and comes back (Kafka: SIGKILL the broker and start
   * it again). For the file log the process holding it IS the killed child, so there is nothing more.
   */
  crashBackend?(): Promise<void>;
  teardown?(): Promise<void>;
}

function perKeyInOrder(messages: ConsumedMessage[]): boolean {
  const last = new Map<string, number>();
  for (const m of messages) {
    const seq = Number(m.headers?.seq);
    if ((last.get(m.key) ?? -1) >= seq) return false;
    last.set(m.key, seq);
  }
  return true;
}

/**
 * What survives a restart and a kill -9, for every adapter that keeps its data: every acknowledged
 * publish, every commit, and the order per key; a consumer that died mid-batch gets that batch again
 * on its next start and nothing it had committed.
 */
export function describeEventLogDurability(
  label: string,
  setup: () => Promise<DurableEventLogHarness>,
): void {
  describe(label, () => {
    let harness: DurableEventLogHarness;
    const opened: EventLog[] = [];
    const { logger } = createCapturedLogger();
    const open = async () => {
      const log = await harness.open(logger);
      opened.push(log);
      return log;
    };

    beforeAll(async () => {
      harness = await setup();
    });
    afterAll(async () => {
      await harness?.teardown?.();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((log) => log.close()));
    });

    it('after a restart, topics, messages and committed offsets are all there; the group goes on where it stopped', async () => {
      const topic = uniqueName('el-restart');
      const groupId = uniqueName('el-restart-group');
      const before = await open();
      await before.ensureTopics([{ name: topic, partitions: 3 }]);
      const messages = makeSequence(30, 6);
      await before.publish(topic, messages);
      const first = createRecorder();
      const sub = await before.subscribe({
        groupId,
        topics: [topic],
        fromBeginning: true,
        maxBatchSize: 4,
        ...first,
      });
      await eventually('a part of the messages handled', () =>
        first.handled.length >= 12 ? true : undefined,
      );
      await sub.stop();
      await before.close();
      await harness.restartBackend?.();

      const after = await open();
      await after.ensureTopics([{ name: topic, partitions: 3 }]);
      const remaining = 30 - first.handled.length;
      // Polled: a restarted Kafka answers "coordinator loading" for a moment, as lag metrics see too.
      await eventually(`a lag of ${remaining}`, async () =>
        (await after.lag(groupId, topic)) === remaining ? true : undefined,
      );
      const second = createRecorder();
      await after.subscribe({ groupId, topics: [topic], fromBeginning: true, ...second });
      const later = makeSequence(6, 6, 'later');
      await after.publish(topic, later);
      await eventually('the rest and the later messages', () =>
        second.handled.length >= remaining + 6 ? true : undefined,
      );
      expect(second.ids().filter((id) => first.ids().includes(id))).toEqual([]);
      expect([...first.ids(), ...second.ids()].sort()).toEqual(sortedIds([...messages, ...later]));

      const fresh = createRecorder();
      await after.subscribe({
        groupId: uniqueName('el-restart-fresh'),
        topics: [topic],
        fromBeginning: true,
        ...fresh,
      });
      await eventually('every message for a new group', () =>
        fresh.handled.length >= 36 ? true : undefined,
      );
      expect(fresh.ids().sort()).toEqual(sortedIds([...messages, ...later]));
      expect(perKeyInOrder(fresh.handled.filter((m) => !m.key.startsWith('later')))).toBe(true);
    });

    it('after kill -9 of the process using it, every acknowledged message is there once, and the group redelivers only what it had not committed', async () => {
      const topic = uniqueName('el-kill');
      const groupId = uniqueName('el-kill-group');
      const setupLog = await open();
      await setupLog.ensureTopics([{ name: topic, partitions: 3 }]);
      const early = makeSequence(30, 6, 'early');
      await setupLog.publish(topic, early);
      // One process at a time on a file log: this one lets go before the child takes it.
      await setupLog.close();

      const input: HolderFixtureInput = {
        location: harness.location,
        topic,
        groupId,
        stallAfter: 15,
        publish: true,
      };
      const child = startChild('event-log-holder.fixture.ts', input);
      const acked: string[] = [];
      const handledByChild: string[] = [];
      child.process.on('message', (m: HolderFixtureMessage) => {
        if (m.type === 'acked') acked.push(...m.ids);
        if (m.type === 'handled') handledByChild.push(...m.ids);
      });
      const stalled = await child.message((m) =>
        (m as HolderFixtureMessage).type === 'stalled' ? (m as HolderFixtureMessage) : undefined,
      );
      await eventually('publishes acknowledged while it consumes', () =>
        acked.length >= 30 ? true : undefined,
      );
      child.process.kill('SIGKILL');
      await expect(child.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });
      const ackedBeforeKill = [...acked];
      await harness.crashBackend?.();

      const after = await open();
      await after.ensureTopics([{ name: topic, partitions: 3 }]);
      // A new group reads the whole topic: every acknowledged message, each once.
      const reader = createRecorder();
      const readerGroup = uniqueName('el-kill-reader');
      await after.subscribe({ groupId: readerGroup, topics: [topic], fromBeginning: true, ...reader });
      await eventually('the reader has everything', async () =>
        reader.handled.length >= early.length + ackedBeforeKill.length &&
        (await after.lag(readerGroup, topic)) === 0
          ? true
          : undefined,
      );
      const inLog = reader.ids();
      expect(new Set(inLog).size).toBe(inLog.length);
      expect(inLog).toEqual(expect.arrayContaining([...sortedIds(early), ...ackedBeforeKill]));

      // The dead member's group: the batch it died in comes again, nothing it had handled does.
      const next = createRecorder();
      await after.subscribe({ groupId, topics: [topic], fromBeginning: true, ...next });
      await eventually('the group caught up', async () =>
        next.handled.length > 0 && (await after.lag(groupId, topic)) === 0 ? true : undefined,
      );
      expect(next.ids()).toEqual(expect.arrayContaining(stalled.ids));
      expect(next.ids().filter((id) => handledByChild.includes(id))).toEqual([]);
      expect([...handledByChild, ...next.ids()].sort()).toEqual([...inLog].sort());
    });
  });
}
