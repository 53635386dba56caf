/**
 * The collector as it runs in production (fastify from service-kit, the beacon routes, the durable
 * output with its spool in a temporary directory) on the shared Kafka, producing to a topic of its
 * own (or on the embedded log); rate limiting off, since every request of the load generator comes
 * from one address.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { COLLECTOR_EVENT_LOG } from '@streamloop/beacon-collector/collector-config';
import { DEFAULT_SPOOL_MAX_BYTES, mountCollector } from '@streamloop/beacon-collector/mount-collector';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import { metricValue, uniqueName } from '@streamloop/core/testing';
import { createEventLog, type EventLogOpenOptions } from '@streamloop/event-log/create';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaClient } from '@streamloop/event-log/kafka-client';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';

const logger = createLogger({ name: 'collector-bench', level: 'warn' });

export interface CollectorTarget {
  app: FastifyInstance;
  registry: Registry;
  produced(): Promise<number>;
  spooled(): Promise<number>;
  buffered(): Promise<number>;
  close(): Promise<void>;
}

/**
 * On Kafka when `brokers` is given (`eventLog`: other open options than the collector's own, to
 * compare); else on the embedded log, to tell the collector's own cost from
 * Kafka's. `logDown`: the embedded log without the topic — every publish fails for real, so every
 * request is answered from the spool (appended, group-committed fsync).
 */
export async function startCollectorTarget(
  brokers: string[] | undefined,
  options: { logDown?: boolean; eventLog?: EventLogOpenOptions } = {},
): Promise<CollectorTarget> {
  const topic = uniqueName('qoe-beacons-bench');
  // On Kafka, opened exactly as the collector process opens it (producer thread and all).
  const eventLog: EventLog =
    brokers === undefined
      ? createMemoryEventLog({ logger })
      : await createEventLog(
          { kafka: { brokers, clientId: 'collector-bench' }, dataDir: os.tmpdir() },
          { logger },
          options.eventLog ?? COLLECTOR_EVENT_LOG,
        );
  if (options.logDown !== true) await eventLog.ensureTopics([{ name: topic, partitions: 3 }]);
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const app = buildHttpApp({ logger, registry, ports: [eventLog] });
  const spoolDir = await mkdtemp(path.join(os.tmpdir(), 'collector-bench-spool-'));
  mountCollector(app, {
    eventLog,
    logger,
    registry,
    topic,
    rateLimit: false,
    spool: { dir: spoolDir, maxBytes: DEFAULT_SPOOL_MAX_BYTES },
  });
  return {
    app,
    registry,
    produced: () => metricValue(registry, 'streamloop_beacon_collector_beacons_produced_total'),
    buffered: () => metricValue(registry, 'streamloop_beacon_collector_beacons_buffered'),
    spooled: () => metricValue(registry, 'streamloop_beacon_collector_beacons_spooled_total'),
    async close() {
      await app.close();
      await eventLog.close();
      await rm(spoolDir, { recursive: true, force: true });
      if (brokers === undefined) return;
      const admin = createKafkaClient(
        { brokers, clientId: 'collector-bench-admin' },
        { logger, gate: { muted: true } },
      ).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
