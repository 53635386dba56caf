/**
 * Beacons/s from Kafka into ClickHouse (chdb), side by side in one run:
 *  - consumer, batch 5000: the real pipeline (parse, validate, map, insert with a dedup token,
 *    commit after insert) with the default fetch window;
 *  - consumer, batch 100: the same with small batches (what batching buys);
 *  - bare insert: the same rows inserted straight into chdb in 5000-row blocks, no Kafka, no
 *    parsing (the ceiling the consumer is measured against).
 * Each variant writes into a database of its own. Ratios are what to read; absolute numbers on a
 * shared 2-core machine are noise. Run: `npm run bench:analytics-ingest -w bench` with the
 * infra env (KAFKA_BROKERS) set; results go to bench/results/analytics-ingest.json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBeaconConsumer } from '@streamloop/analytics/beacon-consumer';
import { BEACONS_TABLE } from '@streamloop/analytics/beacons-table';
import { MIGRATIONS_DIR } from '@streamloop/analytics/mount-analytics';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { runMigrations } from '@streamloop/analytics-store/migrate';
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { uniqueName } from '@streamloop/core/testing';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { beaconMessages, beaconRows } from './beacons.js';

const BEACONS = Number(process.env.BENCH_BEACONS ?? 40_000);
const PARTITIONS = 3;
const logger = createLogger({ name: 'bench-analytics-ingest', level: 'warn' });

const kafka = loadConfig(process.env).kafka;
if (kafka === undefined) throw new Error('KAFKA_BROKERS is not set; eval "$(node infra/cli.mjs env)" first');
const dir = await mkdtemp(join(tmpdir(), 'bench-analytics-ingest-'));
const store = await createChdbAnalyticsStore({ path: join(dir, 'clickhouse'), database: 'bench', logger });
const log = await createKafkaEventLog(
  { brokers: kafka.brokers, clientId: 'bench-analytics-ingest' },
  { logger },
);
const topic = uniqueName('bench-qoe-beacons');

async function database(name: string): Promise<{ client: typeof store.client; database: string }> {
  await runMigrations(store.client, name, MIGRATIONS_DIR, async () => {
    await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${name}` });
  });
  return { client: store.client, database: name };
}

async function rowCount(target: { database: string }): Promise<number> {
  const result = await store.client.query({
    query: `SELECT count() AS n FROM ${target.database}.${BEACONS_TABLE}`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}

async function consumerRun(maxBatchSize: number): Promise<number> {
  const target = await database(`bench_consumer_${maxBatchSize}`);
  const groupId = uniqueName(`bench-analytics-${maxBatchSize}`);
  const consumer = createBeaconConsumer({
    eventLog: log,
    analyticsStore: target,
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    topic,
    groupId,
    maxBatchSize,
  });
  const started = performance.now();
  await consumer.start();
  while ((await log.lag(groupId, topic)) > 0) await new Promise((r) => setTimeout(r, 100));
  const seconds = (performance.now() - started) / 1000;
  await consumer.stop();
  if ((await rowCount(target)) !== BEACONS) throw new Error(`consumer ${maxBatchSize}: row count is off`);
  return BEACONS / seconds;
}

async function bareInsertRun(): Promise<number> {
  const target = await database('bench_bare');
  const rows = beaconRows(BEACONS);
  const started = performance.now();
  for (let i = 0; i < rows.length; i += 5000) {
    await target.client.insert({
      table: `${target.database}.${BEACONS_TABLE}`,
      values: rows.slice(i, i + 5000),
      format: 'JSONEachRow',
    });
  }
  const seconds = (performance.now() - started) / 1000;
  if ((await rowCount(target)) !== BEACONS) throw new Error('bare insert: row count is off');
  return BEACONS / seconds;
}

try {
  await log.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
  const messages = beaconMessages(BEACONS);
  for (let i = 0; i < messages.length; i += 2000) await log.publish(topic, messages.slice(i, i + 2000));

  const bare = await bareInsertRun();
  const batch5000 = await consumerRun(5000);
  const batch100 = await consumerRun(100);
  const result = {
    benchmark: 'analytics-ingest',
    date: new Date().toISOString(),
    machine: '2 shared cores; chdb 3.4.0 (ClickHouse 26.7) in-process; Kafka 127.0.0.1 single broker',
    beacons: BEACONS,
    partitions: PARTITIONS,
    beaconsPerSecond: {
      bareInsert5000: Math.round(bare),
      consumerBatch5000: Math.round(batch5000),
      consumerBatch100: Math.round(batch100),
    },
    ratios: {
      consumerBatch5000VsBareInsert: Number((batch5000 / bare).toFixed(3)),
      consumerBatch100VsBatch5000: Number((batch100 / batch5000).toFixed(3)),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(
    new URL('../../results/analytics-ingest.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await log.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
