/**
 * Kafka only: a consumer PROCESS that dies without a goodbye (SIGKILL, no leave-group, no final
 * commit). The group must notice, hand its partitions to a new member, and that member must get
 * every message that was not committed — the ones the dead process was handling included.
 */
import { loadConfig } from '@streamloop/core/config';
import { assertReachable, eventually, requireService, uniqueName } from '@streamloop/core/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog } from '../src/event-log.js';
import { createKafkaEventLog } from '../src/kafka-event-log.js';
import { startChild } from './fixtures/child-process.js';
import type { HolderFixtureInput, HolderFixtureMessage } from './fixtures/event-log-holder.fixture.js';
import { createCapturedLogger, createRecorder, idOf, makeSequence, sortedIds } from './helpers.js';

const kafkaConfig = loadConfig(process.env).kafka;
const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';

describe(`EventLog on Kafka (${kafkaAddress}) — a consumer process killed mid-stream`, () => {
  let brokers: string[];
  let admin: Admin;
  let log: EventLog;
  const topic = uniqueName('el-kill');
  const groupId = uniqueName('el-kill-group');

  beforeAll(async () => {
    brokers = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig).brokers;
    admin = new Kafka({ brokers, clientId: 'event-log-test-admin', logLevel: logLevel.NOTHING }).admin();
    await assertReachable('Kafka', kafkaAddress, async () => {
      await admin.connect();
      await admin.listTopics();
    });
    log = await createKafkaEventLog({ brokers, clientId: 'event-log-kill-test' }, createCapturedLogger());
  });

  afterAll(async () => {
    await log?.close();
    await admin?.deleteGroups([groupId]).catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('a new member of the group gets every uncommitted message, so nothing is lost', async () => {
    await log.ensureTopics([{ name: topic, partitions: 3 }]);
    const messages = makeSequence(60, 12);
    await log.publish(topic, messages);

    const input: HolderFixtureInput = {
      location: { kind: 'kafka', brokers },
      topic,
      groupId,
      stallAfter: 25,
      publish: false,
    };
    const child = startChild('event-log-holder.fixture.ts', input);
    const handledByChild: string[] = [];
    child.process.on('message', (m: HolderFixtureMessage) => {
      if (m.type === 'handled') handledByChild.push(...m.ids);
    });
    const inFlight = await child.message((m) =>
      (m as HolderFixtureMessage).type === 'stalled' ? m : undefined,
    );
    child.process.kill('SIGKILL');
    await expect(child.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });

    const committed = await committedOffsets(admin, groupId, topic);
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    const uncommitted = [...ends].reduce((sum, [p, end]) => sum + Number(end - (committed.get(p) ?? 0n)), 0);
    // The dead process had made (committed) progress, and left some behind.
    expect(uncommitted).toBeLessThan(60);
    expect(uncommitted).toBeGreaterThan(0);

    const next = createRecorder();
    await log.subscribe({ groupId, topics: [topic], fromBeginning: true, ...next });
    await eventually('the uncommitted messages', () =>
      next.handled.length >= uncommitted ? true : undefined,
    );

    for (const [partition, end] of ends) {
      const offsets = next.handled.filter((m) => m.partition === partition).map((m) => BigInt(m.offset));
      const from = committed.get(partition) ?? 0n;
      const expected = Array.from({ length: Number(end - from) }, (_, i) => from + BigInt(i));
      expect(offsets, `partition ${partition} resumes at its committed offset ${from}`).toEqual(expected);
    }
    expect(next.ids()).toEqual(expect.arrayContaining((inFlight as { ids: string[] }).ids));
    expect([...new Set([...handledByChild, ...next.ids()])].sort()).toEqual(sortedIds(messages));
    expect(next.handled.map(idOf)).toHaveLength(uncommitted);
  });
});

async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
  // -1: the group never committed on that partition; fromBeginning makes that offset 0.
  return new Map(
    (result?.partitions ?? []).map(({ partition, offset }) => [
      partition,
      offset === '-1' ? 0n : BigInt(offset),
    ]),
  );
}
