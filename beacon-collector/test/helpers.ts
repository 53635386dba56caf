/**
 * Builders for the collector tests: valid beacons, a collector app on a real event log (the embedded
 * one unless a test passes Kafka), and a reader that takes back what the collector produced.
 */
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry, type Registry } from '@streamloop/core/metrics';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { type BeaconEnvelope, decodeBeaconMessage } from '@streamloop/core/schemas/beacon-envelope';
import { BEACON_CLIENT_TIME_MS, eventually, makeBeacon, uniqueName } from '@streamloop/core/testing';
import type { ConsumedMessage, EventLog } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type CollectorDeps, mountCollector } from '../src/mount-collector.js';

export const logger = createLogger({ name: 'beacon-collector-test', level: 'silent' });

/** A view's beacons in order: seq 0..n-1 on one session. */
export function makeView(sessionId: string, events: Beacon['event'][]): Beacon[] {
  return events.map((event, seq) => makeBeacon({ sessionId, viewId: `${sessionId}-view`, event, seq }));
}

export interface Collector {
  app: FastifyInstance;
  eventLog: EventLog;
  registry: Registry;
  topic: string;
  post(
    body: unknown,
    options?: { contentType?: string; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  /**
   * What the collector produced, read back through a fresh consumer group, one entry per BEACON (a
   * batch message is expanded; its entries share the message's key, partition and offset); waits
   * for `count`.
   */
  produced(count: number): Promise<ProducedBeacon[]>;
  close(): Promise<void>;
}

/** The collector's receive time in these tests: 1234 ms after the beacons' client clock. */
export const RECEIVED_AT_MS = BEACON_CLIENT_TIME_MS + 1234;

export async function startCollector(
  options: {
    eventLog?: EventLog;
    routes?: Partial<CollectorDeps>;
    /** false: the topic does not exist yet, so every produce fails until the test creates it. */
    createTopic?: boolean;
    trustProxy?: string[];
  } = {},
): Promise<Collector> {
  const eventLog = options.eventLog ?? createMemoryEventLog({ logger });
  const topic = uniqueName('qoe-beacons-test');
  if (options.createTopic !== false) await eventLog.ensureTopics([{ name: topic, partitions: 3 }]);
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const app = buildHttpApp({ logger, registry, ports: [eventLog], trustProxy: options.trustProxy });
  mountCollector(app, {
    eventLog,
    logger,
    registry,
    topic,
    now: () => RECEIVED_AT_MS,
    rateLimit: false,
    buffer: { publishTimeoutMs: 2000, retry: { initialDelayMs: 20, maxDelayMs: 100 } },
    ...options.routes,
  });
  await app.ready();

  const consumed: ProducedBeacon[] = [];
  let subscribed: Promise<unknown> | undefined;
  return {
    app,
    eventLog,
    registry,
    topic,
    post(body, { contentType = 'text/plain;charset=UTF-8', headers = {} } = {}) {
      const request: InjectOptions = {
        method: 'POST',
        url: '/v1/beacons',
        headers: { 'content-type': contentType, ...headers },
        payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
      };
      return app.inject(request);
    },
    async produced(count) {
      subscribed ??= eventLog.subscribe({
        groupId: uniqueName('collector-test-reader'),
        topics: [topic],
        fromBeginning: true,
        handleBatch: async (batch) => {
          for (const message of batch.messages) {
            const decoded = decodeBeaconMessage(message.value);
            if (!decoded.ok) throw new Error(`the collector produced a bad message: ${decoded.detail}`);
            for (const envelope of decoded.envelopes)
              consumed.push({ ...message, envelope: envelope as BeaconEnvelope });
          }
        },
      });
      await subscribed;
      return eventually(`${count} messages on ${topic}`, () =>
        consumed.length >= count ? consumed : undefined,
      );
    },
    async close() {
      await app.close();
      await eventLog.close();
    },
  };
}

/** One beacon as produced: its message's place in the log, and its own envelope. */
export interface ProducedBeacon extends ConsumedMessage {
  envelope: BeaconEnvelope;
}

export function envelopeOf(produced: ProducedBeacon): BeaconEnvelope {
  return produced.envelope;
}

export const METRIC = {
  accepted: 'streamloop_beacon_collector_beacons_accepted_total',
  rejected: 'streamloop_beacon_collector_beacons_rejected_total',
  refused: 'streamloop_beacon_collector_requests_refused_total',
  buffered: 'streamloop_beacon_collector_beacons_buffered',
  spooled: 'streamloop_beacon_collector_beacons_spooled_total',
  spoolSkipped: 'streamloop_beacon_collector_spool_records_skipped_total',
  produced: 'streamloop_beacon_collector_beacons_produced_total',
  produceFailures: 'streamloop_beacon_collector_produce_failures_total',
};
