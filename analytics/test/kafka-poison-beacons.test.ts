/**
 * Poison on a real Kafka: a message that is not JSON and one whose envelope fails the contract sit
 * between good beacons on one partition. The good ones land in chdb exactly once; each poison one is
 * on the dead-letter topic with its reason and its original bytes; the consumer does not stall on them.
 * Topics and groups are this test's own.
 */
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { DeadLetter } from '@streamloop/core/schemas/dead-letter';
import {
  assertReachable,
  eventually,
  metricValue,
  requireService,
  uniqueName,
} from '@streamloop/core/testing';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';
import { createKafkaClient } from '@streamloop/event-log/kafka-client';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BeaconConsumer, createBeaconConsumer } from '../src/beacon-consumer.js';
import { openChdbSession } from './chdb-session.js';
import { collectorMessage, makeBeacon } from './make-beacon.js';

const kafkaConfig = loadConfig(process.env).kafka;
const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';
const logger = createLogger({ name: 'analytics-poison-test', level: 'silent' });

describe(`poison beacons on Kafka (${kafkaAddress}) go to the dead-letter topic`, () => {
  const topic = uniqueName('qoe-beacons-poison');
  const deadLetterTopic = uniqueName('dead-letter-poison');
  const groupId = uniqueName('analytics-poison');
  const readerGroupId = uniqueName('dead-letter-reader');
  const videoId = uniqueName('video');
  let chdb: Awaited<ReturnType<typeof openChdbSession>>;
  let log: EventLog;
  let consumer: BeaconConsumer | undefined;

  beforeAll(async () => {
    const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
    await assertReachable('Kafka', kafkaAddress, async () => {
      log = await createKafkaEventLog({ brokers, clientId: 'analytics-poison-test' }, { logger });
    });
    // One partition: the poison sits between the good beacons, in this order.
    await log.ensureTopics([
      { name: topic, partitions: 1 },
      { name: deadLetterTopic, partitions: 1 },
    ]);
    chdb = await openChdbSession();
  });

  afterAll(async () => {
    await consumer?.stop();
    await log?.close();
    if (kafkaConfig !== undefined) {
      const admin = createKafkaClient(
        { ...kafkaConfig, clientId: 'analytics-poison-admin' },
        { logger, gate: { muted: true } },
      ).admin();
      await admin.connect();
      await admin.deleteGroups([groupId, readerGroupId]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => undefined);
      await admin.disconnect();
    }
    await chdb?.close();
  });

  async function storedBeacons(): Promise<{ rows: number; ids: number }> {
    const result = await chdb.store.client.query({
      query: `SELECT count() AS rows, uniqExact(beacon_id) AS ids FROM ${chdb.store.database}.beacons_v1
              WHERE video_id = {videoId:String}`,
      query_params: { videoId },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ rows: string; ids: string }>();
    return { rows: Number(row?.rows ?? 0), ids: Number(row?.ids ?? 0) };
  }

  it('keeps the poison with its reason and stores the good beacons around it once', async () => {
    const registry = createMetricsRegistry({ collectProcessMetrics: false });
    consumer = createBeaconConsumer({
      eventLog: log,
      analyticsStore: chdb.store,
      logger,
      registry,
      topic,
      deadLetterTopic,
      groupId,
      backoff: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    await consumer.start();

    const receivedAtMs = Date.now();
    const good = (seq: number) =>
      collectorMessage(
        makeBeacon({ videoId, sessionId: 'session-p', seq, event: 'playrequest' }),
        receivedAtMs,
      );
    const notJson: EventMessage = { key: 'session-p', value: Buffer.from('{"beacon": {"event": ') };
    const noEnvelope: EventMessage = {
      key: 'session-p',
      value: Buffer.from(JSON.stringify({ beacon: makeBeacon({ videoId }), receivedAtMs: 'yesterday' })),
    };
    await log.publish(topic, [good(1), good(2), notJson, good(3), noEnvelope, good(4)]);

    const letters: DeadLetter[] = [];
    await log.subscribe({
      groupId: readerGroupId,
      topics: [deadLetterTopic],
      fromBeginning: true,
      async handleBatch(batch) {
        for (const m of batch.messages) letters.push(JSON.parse(m.value.toString('utf8')) as DeadLetter);
      },
    });
    await eventually('both poison messages on the dead-letter topic', () =>
      letters.length >= 2 ? true : undefined,
    );
    await eventually('the good beacons in chdb and the group caught up', async () =>
      (await storedBeacons()).rows >= 4 &&
      (await log.lag(groupId, topic)) === 0 &&
      (await metricValue(registry, 'streamloop_analytics_beacons_inserted_total')) >= 4
        ? true
        : undefined,
    );

    expect(letters).toEqual([
      expect.objectContaining({
        reason: 'invalid_json',
        service: 'analytics',
        value: notJson.value.toString('utf8'),
        source: expect.objectContaining({ topic, partition: 0, offset: '2', key: 'session-p' }),
      }),
      expect.objectContaining({
        reason: 'invalid_envelope',
        detail: expect.stringContaining('receivedAtMs'),
        value: noEnvelope.value.toString('utf8'),
        source: expect.objectContaining({ topic, offset: '4' }),
      }),
    ]);
    // Exactly once: four rows, four distinct beacons, nothing of the poison.
    expect(await storedBeacons()).toEqual({ rows: 4, ids: 4 });
    expect(await metricValue(registry, 'streamloop_analytics_beacons_inserted_total')).toBe(4);
    expect(
      await metricValue(registry, 'streamloop_analytics_beacons_dropped_total', { reason: 'invalid_json' }),
    ).toBe(1);
  });
});
