/**
 * Beacons/s from Kafka into ClickHouse (chdb), against the engine's own ingest ceiling for the same
 * rows, side by side in one run (issue 16, deliverable 3):
 *  - ceiling: the same rows, prepared once as ONE payload in the most efficient input format the
 *    engine takes (Native: columnar, typed, no parsing), inserted by the engine itself
 *    (`INSERT … SELECT * FROM file(…, Native)`): no Kafka, no JavaScript per row. Same table, same
 *    materialized views.
 *  - text ceiling: the same rows as one prepared JSONEachRow payload (the consumer's format), to
 *    split what the format costs from what the pipeline costs.
 *  - consumer: the real pipeline (parse, validate, map, one insert per batch with its dedup token,
 *    commit after insert) from a topic holding the beacons as the collector publishes them, timed
 *    from the moment the group has joined until the lag is 0.
 *  - consumer on the embedded log: the same pipeline on the in-process event log, batches of up to
 *    20,000 (no Kafka, and no per-partition fetch size capping the insert blocks).
 *  - JavaScript floor: the consumer's per-beacon JavaScript alone (parse, validate, map, write the
 *    payload) on the same messages, no Kafka and no insert: what the JS steps cap a consumer at.
 * Each variant writes into a database of its own. Ratios are what to read; absolute numbers on a
 * shared 2-core machine are noise. Run: `npm run bench:analytics-ingest -w bench` with the infra
 * env (KAFKA_BROKERS) set; results go to bench/results/analytics-ingest.json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBeaconConsumer } from '@streamloop/analytics/beacon-consumer';
import {
  BEACONS_TABLE,
  type BeaconsTarget,
  beaconColumnTypes,
  createBeaconsTable,
  jsonEachRow,
} from '@streamloop/analytics/beacons-table';
import { MIGRATIONS_DIR } from '@streamloop/analytics/migrations-dir';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { runMigrations } from '@streamloop/analytics-store/migrate';
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { uniqueName } from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { beaconMessages, beaconRows, consumerJavaScriptPerBeacon } from './beacons.js';

const BEACONS = Number(process.env.BENCH_BEACONS ?? 40_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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
const EMBEDDED_BATCH = 20_000;
let databases = 0;

async function database(): Promise<BeaconsTarget> {
  const name = `bench_${databases++}`;
  await runMigrations(store.client, name, MIGRATIONS_DIR, async () => {
    await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${name}` });
  });
  return { client: store.client, database: name, insertNative: store.insertNative };
}

async function rowCount(target: { database: string }): Promise<number> {
  const result = await store.client.query({
    query: `SELECT count() AS n FROM ${target.database}.${BEACONS_TABLE}`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}

/** CPU seconds of this process (JavaScript and chdb's threads) per 10k beacons, by variant label. */
const cpuPer10k = new Map<string, number>();
const cpuSecondsPer10k = (used: NodeJS.CpuUsage): number =>
  Number((((used.user + used.system) / 1e6) * (10_000 / BEACONS)).toFixed(3));

async function timed(label: string, run: (target: BeaconsTarget) => Promise<void>): Promise<number> {
  const target = await database();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(target);
  const seconds = (performance.now() - started) / 1000;
  cpuPer10k.set(label, cpuSecondsPer10k(process.cpuUsage(cpu)));
  const stored = await rowCount(target);
  if (stored !== BEACONS) throw new Error(`${label}: ${stored} rows stored, expected ${BEACONS}`);
  return BEACONS / seconds;
}

/**
 * The rows once through the table, written by the engine as Native: the prepared columnar payloads.
 * `allColumns`: every column of the table (NULL where a beacon has no value), as `SELECT *` gives
 * them; `presentColumns`: only the columns the beacons have (what the consumer's block holds),
 * typed as the engine itself writes them (LowCardinality included).
 */
async function nativePayloads(): Promise<{ allColumns: string; presentColumns: string; columns: string }> {
  const source = await database();
  const rows = beaconRows(BEACONS);
  await createBeaconsTable(source).insert(rows, 'prepare');
  const present = new Set(Object.keys(rows[0] ?? {}));
  const columns = [...(await beaconColumnTypes(source)).keys()].filter((c) => present.has(c)).join(', ');
  const allColumns = join(dir, 'beacons-all.native');
  const presentColumns = join(dir, 'beacons-present.native');
  await store.client.command({
    query: `INSERT INTO FUNCTION file('${allColumns}', Native) SELECT * FROM ${source.database}.${BEACONS_TABLE}`,
  });
  await store.client.command({
    query: `INSERT INTO FUNCTION file('${presentColumns}', Native) SELECT ${columns} FROM ${source.database}.${BEACONS_TABLE}`,
  });
  return { allColumns, presentColumns, columns };
}

interface ConsumerRun {
  beaconsPerSecond: number;
  /** Share of the run's wall time spent inside the batch inserts (the consumer's own histogram). */
  insertShare: number;
  /** CPU seconds of this process (JavaScript, kafkajs and chdb's threads) per 10k beacons. */
  cpuSecondsPer10k: number;
}

async function consumerRun(
  source: EventLog = log,
  maxBatchSize?: number,
  label = 'consumer on Kafka',
): Promise<ConsumerRun> {
  const groupId = uniqueName('bench-analytics');
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  let consumer: ReturnType<typeof createBeaconConsumer> | undefined;
  let cpu = process.cpuUsage();
  try {
    const beaconsPerSecond = await timed(label, async (target) => {
      // From before the start: the group's first fetch (all the topic, here) is decoded during it.
      cpu = process.cpuUsage();
      consumer = createBeaconConsumer({
        eventLog: source,
        analyticsStore: target,
        logger,
        registry,
        topic,
        groupId,
        ...(maxBatchSize === undefined ? {} : { maxBatchSize }),
      });
      await consumer.start();
      // Done = every beacon committed (lag 0). Kafka's lag costs ~2 ms of this process's CPU and
      // ~7 ms a call, so it is asked only once the consumer's own counter has every beacon inserted
      // (an in-process read); polling it all along took ~12 % of the JavaScript thread from the run.
      const inserted = registry.getSingleMetric('streamloop_analytics_beacons_inserted_total');
      const insertedSoFar = async () => (await inserted?.get())?.values[0]?.value ?? 0;
      while ((await insertedSoFar()) < BEACONS) await new Promise((r) => setTimeout(r, 5));
      while ((await source.lag(groupId, topic)) > 0) await new Promise((r) => setTimeout(r, 5));
    });
    const used = process.cpuUsage(cpu);
    const histogram = await registry
      .getSingleMetric('streamloop_analytics_beacon_insert_duration_seconds')
      ?.get();
    const insertSeconds =
      (histogram?.values as { metricName?: string; value: number }[] | undefined)?.find((v) =>
        v.metricName?.endsWith('_sum'),
      )?.value ?? 0;
    return {
      beaconsPerSecond,
      insertShare: Number((insertSeconds / (BEACONS / beaconsPerSecond)).toFixed(2)),
      cpuSecondsPer10k: cpuSecondsPer10k(used),
    };
  } finally {
    await consumer?.stop();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const medianRatio = (runs: Record<string, number>[], of: string, to: string): number =>
  Number(median(runs.map((r) => (r[of] as number) / (r[to] as number))).toFixed(3));

try {
  const load1Before = os.loadavg()[0];
  await log.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
  const messages = beaconMessages(BEACONS);
  // ~4 KB a message: 200 keep a produce request under the broker's 1 MB message.max.bytes.
  for (let i = 0; i < messages.length; i += 200) await log.publish(topic, messages.slice(i, i + 200));
  const native = await nativePayloads();
  const jsonPayload = jsonEachRow(beaconRows(BEACONS));
  const columnTypes = await beaconColumnTypes(await database());

  const runs: Record<string, number>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ceiling = await timed('native ceiling', async (target) => {
      await store.client.command({
        query: `INSERT INTO ${target.database}.${BEACONS_TABLE} SELECT * FROM file('${native.allColumns}', Native)`,
      });
    });
    const ceilingPresentColumns = await timed('native ceiling, present columns', async (target) => {
      await store.client.command({
        query: `INSERT INTO ${target.database}.${BEACONS_TABLE} (${native.columns}) SELECT * FROM file('${native.presentColumns}', Native)`,
      });
    });
    const textCeiling = await timed('JSONEachRow ceiling', async (target) => {
      await store.client.command({
        query: `INSERT INTO ${target.database}.${BEACONS_TABLE} FORMAT JSONEachRow\n${jsonPayload}`,
      });
    });
    const { beaconsPerSecond: consumer, ...consumerDetail } = await consumerRun();
    // The same pipeline on the in-process log: no Kafka, and no ~1 MB-per-partition fetch capping
    // the blocks (what bigger inserts would buy a Kafka consumer).
    // A fresh in-process log each round: it releases what every group has committed, so a second
    // group would find nothing to read (Kafka keeps its retention).
    const embedded = createMemoryEventLog({ logger });
    await embedded.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    for (let i = 0; i < messages.length; i += 2000)
      await embedded.publish(topic, messages.slice(i, i + 2000));
    const { beaconsPerSecond: consumerEmbeddedLog, cpuSecondsPer10k: embeddedCpu } = await consumerRun(
      embedded,
      EMBEDDED_BATCH,
      'consumer on the embedded log',
    ).finally(() => embedded.close());
    const jsFloor = consumerJavaScriptPerBeacon(messages, columnTypes);
    runs.push({
      ceiling,
      ceilingPresentColumns,
      textCeiling,
      consumer,
      consumerEmbeddedLog,
      javaScriptOnly: jsFloor,
      ...consumerDetail,
      ceilingCpuSecondsPer10k: cpuPer10k.get('native ceiling') as number,
      ceilingPresentColumnsCpuSecondsPer10k: cpuPer10k.get('native ceiling, present columns') as number,
      consumerEmbeddedLogCpuSecondsPer10k: embeddedCpu,
    });
    console.log(JSON.stringify(runs.at(-1)));
  }
  const beaconsPerSecond = Object.fromEntries(
    [
      'ceiling',
      'ceilingPresentColumns',
      'textCeiling',
      'consumer',
      'consumerEmbeddedLog',
      'javaScriptOnly',
    ].map((key) => [key, Math.round(median(runs.map((r) => r[key] as number)))]),
  ) as Record<string, number>;
  const result = {
    benchmark: 'analytics-ingest',
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores (read load1 for how quiet the machine was); chdb 3.4.0 (ClickHouse 26.7) in-process; Kafka 127.0.0.1 single broker`,
    load1: { before: load1Before, after: os.loadavg()[0] },
    beacons: BEACONS,
    partitions: PARTITIONS,
    rounds: ROUNDS,
    baseline:
      "ceiling = the same rows as one prepared Native payload inserted by the engine (INSERT … SELECT FROM file(…, Native)), same table and materialized views, no Kafka, no JavaScript per row; ceilingPresentColumns = the same with only the columns the beacons have (what the consumer's block holds), the stronger of the two when faster",
    beaconsPerSecond,
    consumer: {
      insertShareOfWallTime: median(runs.map((r) => r.insertShare as number)),
      cpuSecondsPer10kBeacons: median(runs.map((r) => r.cpuSecondsPer10k as number)),
    },
    // CPU seconds of this process per 10k beacons (JavaScript and chdb's threads; Kafka's broker is
    // another process): less sensitive to a busy machine than wall time, which only counts when quiet.
    cpuSecondsPer10kBeacons: {
      ceiling: median(runs.map((r) => r.ceilingCpuSecondsPer10k as number)),
      ceilingPresentColumns: median(runs.map((r) => r.ceilingPresentColumnsCpuSecondsPer10k as number)),
      consumer: median(runs.map((r) => r.cpuSecondsPer10k as number)),
      consumerEmbeddedLog: median(runs.map((r) => r.consumerEmbeddedLogCpuSecondsPer10k as number)),
    },
    // Per round (each against its own same-round baseline), then the median over rounds.
    ratios: {
      consumerVsCeiling: medianRatio(runs, 'consumer', 'ceiling'),
      consumerVsCeilingPresentColumns: medianRatio(runs, 'consumer', 'ceilingPresentColumns'),
      consumerVsTextCeiling: medianRatio(runs, 'consumer', 'textCeiling'),
      consumerEmbeddedLogVsCeiling: medianRatio(runs, 'consumerEmbeddedLog', 'ceiling'),
      consumerEmbeddedLogVsCeilingPresentColumns: medianRatio(
        runs,
        'consumerEmbeddedLog',
        'ceilingPresentColumns',
      ),
      javaScriptOnlyVsCeiling: medianRatio(runs, 'javaScriptOnly', 'ceiling'),
    },
    runs,
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
