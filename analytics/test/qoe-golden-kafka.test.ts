/**
 * The golden test through the real Kafka path: the golden envelopes (with their server context) are
 * produced to a topic of this test on the shared Kafka — twice, as a collector retrying would — the
 * analytics consumer stores them in chdb, and the QoE API answers the same hand-worked numbers as on
 * chdb alone (golden-fixture.ts), before and after the rollup job.
 */
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { toBeaconMessage } from '@streamloop/core/schemas/beacon-envelope';
import { assertReachable, eventually, requireService, uniqueName } from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaClient } from '@streamloop/event-log/kafka-client';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BeaconConsumer, createBeaconConsumer } from '../src/beacon-consumer.js';
import { runRollup } from '../src/jobs/rollup-job.js';
import { registerQoeRoutes } from '../src/qoe-routes.js';
import { openChdbSession, viewsCaughtUp } from './chdb-session.js';
import { expectGoldenAnswers, GOLDEN_API_KEY } from './golden-checks.js';
import { goldenBeacons } from './golden-fixture.js';

const kafkaConfig = loadConfig(process.env).kafka;
const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';
const logger = createLogger({ name: 'golden-kafka-test', level: 'silent' });
const START_MS = Date.UTC(2025, 5, 2, 10, 0, 0);
const DAY_MS = 24 * 3600 * 1000;

describe(`the golden set through Kafka (${kafkaAddress}) and the consumer`, () => {
  const topic = uniqueName('qoe-golden');
  const groupId = uniqueName('analytics-golden');
  const prefix = uniqueName('golden-kafka');
  const golden = goldenBeacons(prefix, START_MS);
  let chdb: Awaited<ReturnType<typeof openChdbSession>>;
  let log: EventLog;
  let consumer: BeaconConsumer | undefined;
  const app = buildHttpApp({
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });

  beforeAll(async () => {
    const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
    await assertReachable('Kafka', kafkaAddress, async () => {
      log = await createKafkaEventLog({ brokers, clientId: 'analytics-golden-test' }, { logger });
    });
    chdb = await openChdbSession();
    registerQoeRoutes(app, {
      analyticsStore: chdb.store,
      apiKey: GOLDEN_API_KEY,
      now: () => START_MS + DAY_MS,
      // The golden set has one to four viewers a cell: the floor (privacy-floor.test.ts) is off here.
      privacyMinViewers: 1,
    });
  });

  afterAll(async () => {
    await consumer?.stop();
    await log?.close();
    if (kafkaConfig !== undefined) {
      const admin = createKafkaClient(
        { ...kafkaConfig, clientId: 'analytics-golden-admin' },
        { logger, gate: { muted: true } },
      ).admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
    await app.close();
    await chdb?.close();
  });

  it('answers the hand-worked numbers, with every envelope produced twice', async () => {
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
    const messages = golden.map(({ beacon, receivedAtMs, context }) =>
      toBeaconMessage(beacon, receivedAtMs, context),
    );
    await log.publish(topic, messages);
    // The collector retrying the whole request: the same envelopes again, in other batches.
    await log.publish(topic, messages);
    await eventually(
      'both copies of the golden beacons in chdb',
      async () =>
        (await storedRows(prefix)) >= 2 * golden.length &&
        (await viewsCaughtUp(chdb.store, `${prefix}-a`)) &&
        (await viewsCaughtUp(chdb.store, `${prefix}-b`))
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(await storedRows(prefix)).toBe(2 * golden.length);
    await expectGoldenAnswers(app, prefix, START_MS);
  });

  it('answers the same from the rollups', async () => {
    await runRollup(chdb.store, { nowMs: START_MS + DAY_MS });
    await expectGoldenAnswers(app, prefix, START_MS);
  });

  async function storedRows(idPrefix: string): Promise<number> {
    const result = await chdb.store.client.query({
      query: `SELECT count() AS n FROM ${chdb.store.database}.beacons_v1 WHERE session_id LIKE {prefix:String}`,
      query_params: { prefix: `${idPrefix}-%` },
      format: 'JSONEachRow',
    });
    return Number((await result.json<{ n: string }>())[0]?.n);
  }
});
