/**
 * Redelivery for real: a consumer process is SIGKILLed after its insert landed in chdb and before
 * Kafka got the commit. The group's next member gets the same batch again; its insert carries the
 * same insert_deduplication_token, so the stored rows and the QoE numbers do not change.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import {
  assertReachable,
  eventually,
  metricValue,
  requireService,
  uniqueName,
} from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BeaconConsumer, createBeaconConsumer } from '../src/beacon-consumer.js';
import { getOverview } from '../src/qoe-queries.js';
import { storedRows } from './chdb-session.js';
import type { CrashFixtureInput } from './fixtures/crash-after-insert.fixture.js';
import { collectorMessage, viewBeacons } from './make-beacon.js';

const kafkaConfig = loadConfig(process.env).kafka;
const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';
const logger = createLogger({ name: 'analytics-redelivery-test', level: 'silent' });

describe(`a consumer killed between insert and commit (Kafka ${kafkaAddress}, chdb)`, () => {
  const topic = uniqueName('qoe-beacons-redelivery');
  const groupId = uniqueName('analytics-redelivery');
  const database = uniqueName('analytics_redelivery');
  let dir: string;
  let log: EventLog;
  let store: AnalyticsStore | undefined;
  let consumer: BeaconConsumer | undefined;

  beforeAll(async () => {
    const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
    await assertReachable('Kafka', kafkaAddress, async () => {
      log = await createKafkaEventLog({ brokers, clientId: 'analytics-redelivery-test' }, { logger });
    });
    dir = await mkdtemp(join(tmpdir(), 'streamloop-redelivery-'));
  });

  afterAll(async () => {
    await consumer?.stop();
    await log?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the batch once and reports the same QoE numbers', async () => {
    await log.ensureTopics([{ name: topic, partitions: 1 }]);
    const videoId = uniqueName('video');
    const receivedAtMs = Date.now();
    const beacons = viewBeacons({
      videoId,
      viewId: 'v1',
      viewerId: 'viewer-1',
      startupTimeMs: 700,
      heartbeatsWatchMs: [4000],
    });
    await log.publish(
      topic,
      beacons.map((b) => collectorMessage(b, receivedAtMs)),
    );

    const chdbPath = join(dir, 'clickhouse');
    const input: CrashFixtureInput = { brokers: kafkaConfig!.brokers, topic, groupId, chdbPath, database };
    const child = runFixture(JSON.stringify(input));
    await child.printed(/^inserted \d+/m);
    child.kill();
    expect(await child.exited).toBe('SIGKILL');
    // Nothing was committed: the whole batch is still lag.
    expect(await log.lag(groupId, topic)).toBe(beacons.length);

    store = await createChdbAnalyticsStore({ path: chdbPath, database, logger });
    expect(await storedRows(store, videoId)).toBe(beacons.length);
    const registry = createMetricsRegistry({ collectProcessMetrics: false });
    consumer = createBeaconConsumer({
      eventLog: log,
      analyticsStore: store,
      logger,
      registry,
      topic,
      groupId,
    });
    await consumer.start();
    // The dead member holds the partition until its 6 s session expires.
    await eventually(
      'the redelivered batch consumed and committed',
      async () => ((await log.lag(groupId, topic)) === 0 ? true : undefined),
      { timeoutMs: 45_000, intervalMs: 250 },
    );

    // The batch really came twice (inserted again here), and landed once.
    expect(await metricValue(registry, 'streamloop_analytics_beacons_inserted_total')).toBe(beacons.length);
    expect(await storedRows(store, videoId)).toBe(beacons.length);
    const range = { fromMs: receivedAtMs - 1000, toMs: receivedAtMs + 1000 };
    expect(await getOverview(store, { videoId, ...range })).toMatchObject({
      plays: 1,
      watchTimeMs: 4000,
      startupTimeMs: { p50: 700, p95: 700 },
    });
  });
});

/** The fixture in its own node process (vite-node runs the TypeScript), so SIGKILL is real. */
function runFixture(arg: string) {
  const viteNode = join(createRequire(import.meta.url).resolve('vite-node'), '..', '..', 'vite-node.mjs');
  const fixture = fileURLToPath(new URL('./fixtures/crash-after-insert.fixture.ts', import.meta.url));
  const child = spawn(process.execPath, [viteNode, fixture, arg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  return {
    exited,
    kill: () => child.kill('SIGKILL'),
    printed: (pattern: RegExp) =>
      eventually(
        `the fixture to print ${pattern}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`the fixture exited early:\n${output}`);
          return pattern.test(output) ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      ),
  };
}
