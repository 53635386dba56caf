/**
 * "A 202 survives kill -9", for real: the collector runs as its own process (the built
 * `beacon-collector/dist/main.js`, services mode) on a PRIVATE Kafka broker, the analytics beacon
 * consumer writes into chdb, and a load generator that behaves like the SDK (resends a batch after
 * a 503 or a failed connection) sends beacons the whole time. The collector is SIGKILLed — no
 * shutdown hook runs — and started again on the same data dir and port.
 *
 * 1. Five kills under load, Kafka up: every beacon that got a 202 is in ClickHouse, counted once.
 * 2. Kafka down for 30 s: the collector spools to disk until its (small) spool is full, then
 *    answers 503; it is SIGKILLed while spooling; Kafka comes back, the collector starts again and
 *    replays its spool: every 202'd beacon arrives, counted once, and the 503'd batches came back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { TOPICS } from '@streamloop/core/topics';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaInstance, startKafkaInstance } from '../../infra/services.mjs';
import {
  type BeaconAnalytics,
  expectEachAcceptedBeaconOnce,
  freePort,
  runBeacons,
  startBeaconAnalytics,
} from './beacon-pipeline.js';
import { type LoadGenerator, type LoadReport, startLoad } from './collector-outage-load.js';
import { entryOf, processEnv } from './processes.js';

const KILLS = 5;
const OUTAGE_MS = 30_000;
/** Small, so that the outage fills it within seconds and the client meets 503s. */
const SPOOL_MAX_BYTES = 256 * 1024;
const logger = createLogger({ name: 'collector-kill', level: 'silent' });

describe('beacon-collector killed with SIGKILL', () => {
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  let dir: string;
  let kafkaPorts: { port: number; controllerPort: number };
  let kafka: KafkaInstance | undefined;
  let analytics: BeaconAnalytics | undefined;
  let collector: RunningProcess | undefined;
  let collectorPort: number;

  const startBroker = () => startKafkaInstance({ ...kafkaPorts, dataDir: path.join(dir, 'kafka') });

  /** The collector process on the private broker; same data dir (its spool) and port every time. */
  const startCollector = async (): Promise<RunningProcess> => {
    collector = await startProcess(
      entryOf('beacon-collector'),
      processEnv({
        KAFKA_BROKERS: kafka!.brokers.join(','),
        PORT: String(collectorPort),
        STREAMLOOP_DATA_DIR: path.join(dir, 'collector'),
        BEACON_RATE_LIMIT: '0',
        BEACON_SPOOL_MAX_BYTES: String(SPOOL_MAX_BYTES),
      }),
    );
    return collector;
  };

  const killCollector = async (): Promise<void> => {
    const child = collector!.child;
    collector = undefined;
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  const collectorMetric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${collector!.baseUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };

  const loadFor = (runId: string): LoadGenerator => {
    return startLoad({
      url: `http://127.0.0.1:${collectorPort}/v1/beacons`,
      clients: 4,
      beaconsPerBatch: 10,
      batchIntervalMs: 50,
      beaconOf: runBeacons(runId),
    });
  };

  const acceptedAtLeast = (load: LoadGenerator, count: number, what: string) =>
    eventually(what, async () => (load.progress().accepted >= count ? true : undefined), {
      timeoutMs: 120_000,
    });

  const summarise = async (runId: string, report: LoadReport): Promise<string> => {
    const { accepted, producedTwice } = await expectEachAcceptedBeaconOnce(analytics!, runId, report);
    return `${accepted} beacons accepted, ${producedTwice} of them produced twice (in flight at a kill, resent by the client), each counted once`;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-collector-kill-'));
    kafkaPorts = { port: await freePort(), controllerPort: await freePort() };
    collectorPort = await freePort();
    kafka = await startBroker();
    // The collector would create the topic too; the consumer subscribes first.
    const admin = await createKafkaEventLog(
      { brokers: kafka.brokers, clientId: 'collector-kill' },
      { logger },
    );
    await admin.ensureTopics([TOPICS.qoeBeacons]);
    await admin.close();
    analytics = await startBeaconAnalytics({
      brokers: kafka.brokers,
      dir,
      topic: TOPICS.qoeBeacons.name,
      logger,
      registry,
    });
    await startCollector();
  }, 240_000);

  afterAll(async () => {
    await collector?.stop();
    await analytics?.close();
    await kafka?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it(`loses no 202'd beacon across ${KILLS} SIGKILLs under load`, async () => {
    const runId = uniqueName('kill');
    const load = loadFor(runId);
    for (let kill = 1; kill <= KILLS; kill++) {
      await acceptedAtLeast(load, load.progress().accepted + 300, `beacons accepted before kill ${kill}`);
      await killCollector(); // requests in flight now fail; the client resends them
      await startCollector();
    }
    await acceptedAtLeast(load, load.progress().accepted + 300, 'beacons accepted after the last restart');
    const report = await load.stop();
    const summary = await summarise(runId, report);
    process.stdout.write(`collector kill x${KILLS}: ${summary}\n`);
  }, 600_000);

  it('replays its spool after a SIGKILL during a 30 s Kafka outage; a full spool answered 503', async () => {
    const runId = uniqueName('spool-kill');
    const load = loadFor(runId);
    await acceptedAtLeast(load, 300, 'beacons accepted before the outage');

    await kafka!.kill();
    const outageStarted = Date.now();
    // Spooling, then full: beacons fsynced to disk, then 503s (the spool is 256 KiB).
    await eventually(
      'the collector spooling',
      async () =>
        (await collectorMetric('streamloop_beacon_collector_beacons_spooled_total')) > 0 ? true : undefined,
      { timeoutMs: 60_000 },
    );
    await eventually(
      '503s from the full spool',
      async () => (load.progress().refused503 > 0 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    const spooled = await collectorMetric('streamloop_beacon_collector_beacons_spooled_total');
    await killCollector();
    // The rest of the outage: a duration, not an event.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - outageStarted))),
    );
    kafka = await startBroker();
    await startCollector();

    const acceptedAtRestart = load.progress().accepted;
    await acceptedAtLeast(load, acceptedAtRestart + 300, 'beacons accepted after the restart');
    const report = await load.stop();
    expect(report.refused503).toBeGreaterThan(0);
    expect(report.retriedThenAccepted).toBeGreaterThan(0);
    const summary = await summarise(runId, report);
    process.stdout.write(
      `collector killed while spooling: ${spooled} beacons spooled before the kill, ${report.refused503} answers 503; ${summary}\n`,
    );
  }, 600_000);
});
