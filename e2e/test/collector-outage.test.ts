/**
 * "Never accept and then lose", for real: a PRIVATE Kafka broker (the shared one on 19092 is never
 * stopped), the collector on it, and the analytics beacon consumer writing into chdb. A load
 * generator that behaves like the SDK sends beacons the whole time. The broker is killed (SIGKILL,
 * a crash) for 30 s and restarted on the same data dir. While it is away the collector spools to
 * disk until its small spool is full, then answers 503. Afterwards every beacon the collector
 * answered 202 for is in ClickHouse, counted once, and the client saw 503s and got those batches in
 * by resending them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mountCollector } from '@streamloop/beacon-collector/mount-collector';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { eventually, metricValue, uniqueName } from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaInstance, startKafkaInstance } from '../../infra/services.mjs';
import {
  type BeaconAnalytics,
  expectEachAcceptedBeaconOnce,
  freePort,
  runBeacons,
  startBeaconAnalytics,
} from './beacon-pipeline.js';
import { startLoad } from './collector-outage-load.js';

const OUTAGE_MS = 30_000;
/** Small, so that the outage fills it within seconds and the client meets 503s. */
const SPOOL_MAX_BYTES = 256 * 1024;
/** A spooled beacon takes at least this many bytes (its JSON alone is ~220). */
const MIN_SPOOLED_BEACON_BYTES = 150;
const logger = createLogger({ name: 'collector-outage', level: 'silent' });

describe('beacon-collector through a 30 s Kafka outage', () => {
  const topic = uniqueName('qoe-beacons-outage');
  const runId = uniqueName('outage');
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  let dir: string;
  let ports: { port: number; controllerPort: number };
  let kafka: KafkaInstance | undefined;
  let collectorLog: EventLog | undefined;
  let analytics: BeaconAnalytics | undefined;
  let app: FastifyInstance | undefined;

  const startBroker = () => startKafkaInstance({ ...ports, dataDir: path.join(dir, 'kafka') });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-collector-outage-'));
    ports = { port: await freePort(), controllerPort: await freePort() };
    kafka = await startBroker();
    collectorLog = await createKafkaEventLog(
      { brokers: kafka.brokers, clientId: 'collector-outage' },
      { logger },
    );
    await collectorLog.ensureTopics([{ name: topic, partitions: 3 }]);
    analytics = await startBeaconAnalytics({ brokers: kafka.brokers, dir, topic, logger, registry });

    app = buildHttpApp({ logger, registry, ports: [] });
    mountCollector(app, {
      eventLog: collectorLog,
      logger,
      registry,
      topic,
      rateLimit: false,
      spool: { dir: path.join(dir, 'spool'), maxBytes: SPOOL_MAX_BYTES },
      retryAfterSeconds: 1,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await analytics?.close();
    await collectorLog?.close().catch(() => undefined);
    await kafka?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('keeps every beacon it answered 202 for, exactly once; the rest got 503 and came back', async () => {
    const { port } = app!.server.address() as net.AddressInfo;
    const load = startLoad({
      url: `http://127.0.0.1:${port}/v1/beacons`,
      clients: 4,
      beaconsPerBatch: 10,
      batchIntervalMs: 100,
      beaconOf: runBeacons(runId),
    });
    const accepted = () => metricValue(registry, 'streamloop_beacon_collector_beacons_accepted_total');
    const produced = () => metricValue(registry, 'streamloop_beacon_collector_beacons_produced_total');

    // Flowing before the outage: accepted beacons reach Kafka.
    await eventually('beacons produced before the outage', async () =>
      (await produced()) >= 500 ? true : undefined,
    );

    await kafka!.kill();
    const acceptedAtCrash = await accepted();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)); // the outage itself: a duration, not an event
    const acceptedDuringOutage = (await accepted()) - acceptedAtCrash;
    kafka = await startBroker();

    // Some traffic after the restart, then the client stops and finishes its retries.
    const producedAtRestart = await produced();
    await eventually(
      'beacons produced after the restart',
      async () => ((await produced()) >= producedAtRestart + 1000 ? true : undefined),
      { timeoutMs: 120_000 },
    );
    const report = await load.stop();

    // What the client saw: 503s during the outage, each such batch sent again until it got in.
    expect(report.refused503).toBeGreaterThan(0);
    expect(report.retriedThenAccepted).toBeGreaterThan(0);
    // The spool took beacons while Kafka was dead, up to its bound.
    expect(acceptedDuringOutage).toBeGreaterThan(0);
    expect(acceptedDuringOutage).toBeLessThanOrEqual(SPOOL_MAX_BYTES / MIN_SPOOLED_BEACON_BYTES);

    const once = await expectEachAcceptedBeaconOnce(analytics!, runId, report);
    process.stdout.write(
      `collector outage: ${once.accepted} beacons accepted, ${report.refused503} answers 503, ` +
        `${report.retriedThenAccepted} batches resent and accepted, ${acceptedDuringOutage} taken while Kafka was dead; ` +
        `raw rows redelivered by the consumer: ${once.redelivered}, beacons produced twice: ${once.producedTwice}\n`,
    );
  }, 400_000);
});
