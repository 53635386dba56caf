/**
 * Kafka-only behaviour that the shared contract cannot express.
 */
import { loadConfig } from '@streamloop/core/config';
import { assertReachable, eventually, requireService, uniqueName } from '@streamloop/core/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog } from '../src/event-log.js';
import { createKafkaEventLog } from '../src/kafka-event-log.js';
import { createCapturedLogger, createRecorder, makeSequence } from './helpers.js';

const kafkaConfig = loadConfig(process.env).kafka;
const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';
// The broker's minimum (group.min.session.timeout.ms), so the slow handler below outlives it quickly.
const SESSION_TIMEOUT_MS = 6_000;

describe(`EventLog on Kafka (${kafkaAddress}) — adapter specifics`, () => {
  let admin: Admin;
  let log: EventLog;
  const topic = uniqueName('el-slow');
  const groupId = uniqueName('el-slow-group');

  beforeAll(async () => {
    const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
    admin = new Kafka({ brokers, clientId: 'event-log-test-admin', logLevel: logLevel.NOTHING }).admin();
    await assertReachable('Kafka', kafkaAddress, async () => {
      await admin.connect();
      await admin.listTopics();
    });
    log = await createKafkaEventLog(
      { brokers, clientId: 'event-log-slow-test', consumer: { sessionTimeoutMs: SESSION_TIMEOUT_MS } },
      createCapturedLogger(),
    );
  });

  afterAll(async () => {
    await log?.close();
    await admin?.deleteGroups([groupId]).catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('a handler slower than the session timeout keeps its membership: nothing is redelivered', async () => {
    await log.ensureTopics([{ name: topic, partitions: 1 }]);
    const messages = makeSequence(2, 1);
    await log.publish(topic, messages);
    let slowDone = false;
    const recorder = createRecorder();
    await log.subscribe({
      groupId,
      topics: [topic],
      fromBeginning: true,
      maxBatchSize: 1,
      async handleBatch(batch) {
        // Simulated work (a transcode) that outlives the session; not a wait for an event.
        if (!slowDone) await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS + 2_000));
        slowDone = true;
        await recorder.handleBatch(batch);
      },
    });

    await eventually('both messages', () => (recorder.handled.length >= 2 ? true : undefined));
    expect(recorder.handled.map((m) => m.offset)).toEqual(['0', '1']);
  }, 30_000);

  it('with concurrentPartitions 2 hands two partitions their batches at once, and commits each after its own', async () => {
    const concurrentTopic = uniqueName('el-concurrent');
    const concurrentGroup = uniqueName('el-concurrent-group');
    await log.ensureTopics([{ name: concurrentTopic, partitions: 2 }]);
    const messages = makeSequence(40, 16);
    await log.publish(concurrentTopic, messages);
    // Each batch waits until batches of both partitions are in the handler together: handled one
    // partition after the other, the first would wait for ever and nothing would be committed.
    const inFlight = new Set<number>();
    let bothSeen!: () => void;
    const both = new Promise<void>((resolve) => {
      bothSeen = resolve;
    });
    const handled: number[] = [];
    const subscription = await log.subscribe({
      groupId: concurrentGroup,
      topics: [concurrentTopic],
      fromBeginning: true,
      concurrentPartitions: 2,
      async handleBatch(batch) {
        inFlight.add(batch.partition);
        if (inFlight.size === 2) bothSeen();
        await both;
        handled.push(...batch.messages.map(() => batch.partition));
      },
    });
    try {
      await eventually('every message committed', async () =>
        (await log.lag(concurrentGroup, concurrentTopic)) === 0 ? true : undefined,
      );
      expect(handled).toHaveLength(messages.length);
      expect(new Set(handled)).toEqual(new Set([0, 1]));
    } finally {
      await subscription.stop();
      await admin.deleteGroups([concurrentGroup]).catch(() => undefined);
      await admin.deleteTopics({ topics: [concurrentTopic] }).catch(() => undefined);
    }
  }, 30_000);
});
