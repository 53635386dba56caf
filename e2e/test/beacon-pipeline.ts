import path from 'node:path';
import { type BeaconConsumer, createBeaconConsumer } from '@streamloop/analytics/beacon-consumer';
import { MIGRATIONS_DIR } from '@streamloop/analytics/migrations-dir';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually, makeBeacon, uniqueName } from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { expect } from 'vitest';
import type { LoadReport } from './collector-outage-load.js';

export { freePort } from './ports.js';

export interface BeaconAnalytics {
  store: AnalyticsStore;
  /** Per beacon of `videoId`: raw rows and distinct Kafka offsets, sorted by beacon id. */
  beacons(videoId: string): Promise<{ beacon_id: string; copies: string; offsets: string }[]>;
  /** Beacons of `videoId` as the QoE read side counts them (views_v1: one per distinct beacon). */
  countedInViews(videoId: string): Promise<number>;
  close(): Promise<void>;
}

/** The analytics beacon consumer on `topic` of `brokers`, into a chdb database under `dir`. */
export async function startBeaconAnalytics(options: {
  brokers: string[];
  dir: string;
  topic: string;
  logger: Logger;
  registry: Registry;
}): Promise<BeaconAnalytics> {
  const { logger, registry } = options;
  const eventLog: EventLog = await createKafkaEventLog(
    { brokers: options.brokers, clientId: uniqueName('beacon-pipeline-analytics') },
    { logger },
  );
  const store = await createChdbAnalyticsStore({
    path: path.join(options.dir, 'clickhouse'),
    database: uniqueName('beacon_pipeline'),
    logger,
  });
  await store.migrate(MIGRATIONS_DIR);
  const consumer: BeaconConsumer = createBeaconConsumer({
    eventLog,
    analyticsStore: store,
    logger,
    registry,
    topic: options.topic,
    groupId: uniqueName('analytics-pipeline'),
    backoff: { initialDelayMs: 200, maxDelayMs: 2000 },
  });
  await consumer.start();
  return {
    store,
    async beacons(videoId) {
      const result = await store.client.query({
        query: `SELECT beacon_id, count() AS copies, uniqExact(kafka_partition, kafka_offset) AS offsets
                FROM ${store.database}.beacons_v1
                WHERE video_id = {videoId:String} GROUP BY beacon_id ORDER BY beacon_id`,
        query_params: { videoId },
        format: 'JSONEachRow',
      });
      return result.json<{ beacon_id: string; copies: string; offsets: string }>();
    },
    async countedInViews(videoId) {
      const result = await store.client.query({
        query: `SELECT sum(n) AS beacons FROM (
                  SELECT length(groupUniqArrayMerge(beacons)) AS n FROM ${store.database}.views_v1
                  WHERE video_id = {videoId:String} GROUP BY view_id, day)`,
        query_params: { videoId },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ beacons: string }>();
      return Number(row?.beacons ?? 0);
    },
    async close() {
      await consumer.stop();
      await eventLog.close().catch(() => undefined);
      await store.close();
    },
  };
}

/** The load generator's beacons for one run: client N is one view of video `runId`, seq counting up. */
export function runBeacons(runId: string): (client: number, seq: number) => Beacon {
  return (client, seq) =>
    makeBeacon({
      beaconId: `${runId}-c${client}-${seq}`,
      sessionId: `${runId}-session-${client}`,
      viewId: `${runId}-view-${client}`,
      viewerId: `viewer-${client}`,
      videoId: runId,
      seq,
      clientTimeMs: Date.now(),
      monotonicMs: seq * 100,
      playheadMs: seq * 100,
      watchTimeMs: seq * 100,
    });
}

/**
 * Every beacon the client got a 202 for is in ClickHouse, nothing else of the run is, and the QoE
 * read side (views_v1, a set of per-beacon facts) counts each once. Raw rows may repeat: a consumer
 * that died between insert and commit (same offset), or a beacon produced twice (another offset) —
 * a publish whose answer was lost spooled and sent again, or a request in flight at a kill resent
 * by the client. Returns those counts for the test's summary line.
 */
export async function expectEachAcceptedBeaconOnce(
  analytics: BeaconAnalytics,
  runId: string,
  report: LoadReport,
): Promise<{ accepted: number; redelivered: number; producedTwice: number }> {
  expect(report.otherStatuses).toEqual([]);
  const expectedIds = [...report.accepted].sort();
  expect(new Set(expectedIds).size).toBe(expectedIds.length);
  const rows = await eventually(
    `${expectedIds.length} beacons in ClickHouse`,
    async () => {
      const found = await analytics.beacons(runId);
      return found.length >= expectedIds.length ? found : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
  expect(rows.map((r) => r.beacon_id)).toEqual(expectedIds);
  expect(await analytics.countedInViews(runId)).toBe(expectedIds.length);
  return {
    accepted: expectedIds.length,
    redelivered: rows.filter((r) => Number(r.copies) > Number(r.offsets)).length,
    producedTwice: rows.filter((r) => Number(r.offsets) > 1).length,
  };
}
