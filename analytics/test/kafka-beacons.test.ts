/**
 * The same pipeline on a real Kafka: beacons produced as the collector does (key = session id,
 * spread over partitions) reach chdb and the overview (a simulated viewer's only when asked), a
 * redelivered batch still counts once, and poison between good beacons (a half-marked one too) goes
 * to the dead-letter topic (topics and groups of this file's own).
 */
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import {
  assertReachable,
  eventually,
  makeBeacon,
  metricValue,
  requireService,
  uniqueName,
} from '@streamloop/core/testing';
import { readDeadLetters } from '@streamloop/event-log/dead-letter-reader';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';
import { createKafkaClient } from '@streamloop/event-log/kafka-client';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BeaconConsumer, createBeaconConsumer } from '../src/beacon-consumer.js';
import { createBeaconsTable } from '../src/beacons-table.js';
import { getOverview } from '../src/qoe-queries.js';
import { openChdbSession, storedRows, viewsCaughtUp } from './chdb-session.js';
import { collectorMessage, viewBeacons } from './make-beacon.js';

const kafkaConfig = loadConfig(process.env).kafka;
const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';
const logger = createLogger({ name: 'analytics-kafka-test', level: 'silent' });

describe(`beacons from Kafka (${kafkaAddress}) into chdb`, () => {
  const topic = uniqueName('qoe-beacons-test');
  const groupId = uniqueName('analytics-test');
  const stallTopic = uniqueName('qoe-beacons-stall');
  const stallGroupId = uniqueName('analytics-stall');
  const poisonTopic = uniqueName('qoe-beacons-poison');
  const deadLetterTopic = uniqueName('dead-letter-poison');
  const poisonGroupId = uniqueName('analytics-poison');
  const readerGroupId = uniqueName('dead-letter-reader');
  let stalling: BeaconConsumer | undefined;
  let poisoned: BeaconConsumer | undefined;
  const videoId = uniqueName('video');
  let chdb: Awaited<ReturnType<typeof openChdbSession>>;
  let log: EventLog;
  let consumer: BeaconConsumer | undefined;

  beforeAll(async () => {
    const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
    await assertReachable('Kafka', kafkaAddress, async () => {
      log = await createKafkaEventLog({ brokers, clientId: 'analytics-test' }, { logger });
    });
    chdb = await openChdbSession();
  });

  afterAll(async () => {
    await consumer?.stop();
    await stalling?.stop();
    await poisoned?.stop();
    await log?.close();
    if (kafkaConfig !== undefined) {
      const admin = createKafkaClient(
        { ...kafkaConfig, clientId: 'analytics-test-admin' },
        { logger, gate: { muted: true } },
      ).admin();
      await admin.connect();
      await admin.deleteGroups([groupId, stallGroupId, poisonGroupId, readerGroupId]).catch(() => undefined);
      await admin
        .deleteTopics({ topics: [topic, stallTopic, poisonTopic, deadLetterTopic] })
        .catch(() => undefined);
      await admin.disconnect();
    }
    await chdb?.close();
  });

  it('counts two real views once each, a simulated one apart, however often Kafka delivers their beacons', async () => {
    await log.ensureTopics([{ name: topic, partitions: 3 }]);
    consumer = createBeaconConsumer({
      eventLog: log,
      analyticsStore: chdb.store,
      logger,
      registry: createMetricsRegistry({ collectProcessMetrics: false }),
      topic,
      groupId,
    });
    await consumer.start();

    const receivedAtMs = Date.now();
    const beacons = [
      ...viewBeacons({
        videoId,
        viewId: 'k1',
        viewerId: 'viewer-1',
        startupTimeMs: 350,
        rebuffersMs: [650],
        heartbeatsWatchMs: [10_000],
      }),
      ...viewBeacons({
        videoId,
        viewId: 'k2',
        viewerId: 'viewer-2',
        startupTimeMs: 1250,
        heartbeatsWatchMs: [2_000],
      }),
      // A simulated viewer's view in the same stream: none of the real numbers below may move.
      ...viewBeacons({
        videoId,
        viewId: 'k3',
        viewerId: 'viewer-sim',
        startupTimeMs: 5000,
        rebuffersMs: [4_000],
        heartbeatsWatchMs: [6_000],
        marking: { synthetic: true, cohort: 'commuters', networkClass: '3g' },
      }),
    ];
    const messages = beacons.map((b) => collectorMessage(b, receivedAtMs));
    await log.publish(topic, messages);
    await eventually('the beacons in chdb', async () =>
      (await storedRows(chdb.store, videoId)) >= beacons.length ? true : undefined,
    );
    // The collector retrying a request: the same beacons produced again.
    await log.publish(topic, messages);
    await eventually('the repeat in chdb', async () =>
      (await storedRows(chdb.store, videoId)) >= 2 * beacons.length &&
      (await viewsCaughtUp(chdb.store, videoId))
        ? true
        : undefined,
    );

    const range = { videoId, fromMs: receivedAtMs - 1000, toMs: receivedAtMs + 1000 };
    expect(await getOverview(chdb.store, { ...range, synthetic: 'synthetic' })).toMatchObject({
      plays: 1,
      startupTimeMs: { p50: 5000 },
      rebufferTimeMs: 4_000,
      watchTimeMs: 6_000,
    });
    expect(await getOverview(chdb.store, { ...range, synthetic: 'all' })).toMatchObject({
      plays: 3,
      viewers: 3,
    });
    // The default: real viewers only.
    expect(await getOverview(chdb.store, range)).toMatchObject({
      plays: 2,
      viewers: 2,
      // [350, 1250]: p50 = 350 + 0.5 × 900 = 800; p95 = 350 + 0.95 × 900 = 1205
      startupTimeMs: { p50: 800, p95: 1205 },
      rebufferCount: 1,
      rebufferTimeMs: 650,
      watchTimeMs: 12_000,
      rebufferRatio: 650 / (12_000 + 650),
      errors: 0,
    });
  });

  it('restarts a consumer that stopped receiving while beacons wait, and loses nothing', async () => {
    await log.ensureTopics([{ name: stallTopic, partitions: 1 }]);
    const videoId = uniqueName('video');
    const registry = createMetricsRegistry({ collectProcessMetrics: false });
    const real = createBeaconsTable(chdb.store);
    let hangsLeft = 1;
    stalling = createBeaconConsumer({
      eventLog: log,
      analyticsStore: chdb.store,
      logger,
      registry,
      topic: stallTopic,
      groupId: stallGroupId,
      watchdog: { checkIntervalMs: 200, stallAfterMs: 2_000 },
      // Fault injection: a ClickHouse that accepts the insert and never answers. The stall itself
      // is real: kafkajs fetches nothing more while the handler hangs, so the lag stays.
      beaconsTable: {
        async insert(rows, token) {
          if (hangsLeft-- > 0) await new Promise(() => undefined);
          await real.insert(rows, token);
        },
      },
    });
    await stalling.start();
    const beacons = viewBeacons({ videoId, viewId: 's1', viewerId: 'viewer-1', startupTimeMs: 300 });
    await log.publish(
      stallTopic,
      beacons.map((b) => collectorMessage(b, Date.now())),
    );

    await eventually(
      'the stall noticed and the batch stored by the new subscription',
      async () => ((await storedRows(chdb.store, videoId)) === beacons.length ? true : undefined),
      { timeoutMs: 45_000 },
    );
    await eventually('the lag back to 0', async () =>
      (await metricValue(registry, 'streamloop_analytics_beacon_consumer_lag_messages')) === 0
        ? true
        : undefined,
    );
    expect(await metricValue(registry, 'streamloop_analytics_beacon_consumer_stalls_total')).toBe(1);
    expect(await metricValue(registry, 'streamloop_analytics_beacon_consumer_restarts_total')).toBe(1);
  });

  async function storedBeacons(videoId: string): Promise<{ rows: number; ids: number }> {
    const result = await chdb.store.client.query({
      query: `SELECT count() AS rows, uniqExact(beacon_id) AS ids FROM ${chdb.store.database}.beacons_v1
              WHERE video_id = {videoId:String}`,
      query_params: { videoId },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ rows: string; ids: string }>();
    return { rows: Number(row?.rows ?? 0), ids: Number(row?.ids ?? 0) };
  }

  it('puts poison on the dead-letter topic with its reason and stores the good beacons around it once', async () => {
    // One partition: the poison sits between the good beacons, in this order.
    await log.ensureTopics([
      { name: poisonTopic, partitions: 1 },
      { name: deadLetterTopic, partitions: 1 },
    ]);
    const videoId = uniqueName('video');
    const registry = createMetricsRegistry({ collectProcessMetrics: false });
    poisoned = createBeaconConsumer({
      eventLog: log,
      analyticsStore: chdb.store,
      logger,
      registry,
      topic: poisonTopic,
      deadLetterTopic,
      groupId: poisonGroupId,
      backoff: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    await poisoned.start();

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
    // Half-marked (a cohort without synthetic: true): valid JSON, a valid envelope, refused by core's rule.
    const halfMarked = collectorMessage(
      makeBeacon({ videoId, sessionId: 'session-p', seq: 9, event: 'playrequest', cohort: 'commuters' }),
      receivedAtMs,
    );
    await log.publish(poisonTopic, [good(1), good(2), notJson, good(3), noEnvelope, halfMarked, good(4)]);

    const { letters } = await readDeadLetters(log, { groupId: readerGroupId, topic: deadLetterTopic });
    await eventually('the three poison messages on the dead-letter topic', () =>
      letters.length >= 3 ? true : undefined,
    );
    await eventually('the good beacons in chdb and the group caught up', async () =>
      (await storedBeacons(videoId)).rows >= 4 &&
      (await log.lag(poisonGroupId, poisonTopic)) === 0 &&
      (await metricValue(registry, 'streamloop_analytics_beacons_inserted_total')) >= 4
        ? true
        : undefined,
    );

    expect(letters).toEqual([
      expect.objectContaining({
        reason: 'invalid_json',
        service: 'analytics',
        value: notJson.value.toString('utf8'),
        source: expect.objectContaining({ topic: poisonTopic, partition: 0, offset: '2', key: 'session-p' }),
      }),
      expect.objectContaining({
        reason: 'invalid_envelope',
        detail: expect.stringContaining('receivedAtMs'),
        value: noEnvelope.value.toString('utf8'),
        source: expect.objectContaining({ topic: poisonTopic, offset: '4' }),
      }),
      expect.objectContaining({
        reason: 'invalid_beacon',
        detail: expect.stringContaining('/synthetic: cohort marks a simulated viewer'),
        value: halfMarked.value.toString('utf8'),
        source: expect.objectContaining({ topic: poisonTopic, offset: '5' }),
      }),
    ]);
    // Exactly once: four rows, four distinct beacons, nothing of the poison.
    expect(await storedBeacons(videoId)).toEqual({ rows: 4, ids: 4 });
    expect(await metricValue(registry, 'streamloop_analytics_beacons_inserted_total')).toBe(4);
    expect(
      await metricValue(registry, 'streamloop_analytics_beacons_dropped_total', { reason: 'invalid_json' }),
    ).toBe(1);
    expect(
      await metricValue(registry, 'streamloop_analytics_beacons_dropped_total', { reason: 'invalid_beacon' }),
    ).toBe(1);
  });
});
