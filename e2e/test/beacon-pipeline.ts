/**
 * The analytics end of the beacon path for the collector's failure tests: a free port for a private
 * Kafka broker, and the beacon consumer writing into chdb — plus the query that says which beacons
 * arrived and how the QoE read side counts them.
 */
import net from 'node:net';
import path from 'node:path';
import { type BeaconConsumer, createBeaconConsumer } from '@streamloop/analytics/beacon-consumer';
import { MIGRATIONS_DIR } from '@streamloop/analytics/mount-analytics';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createChdbAnalyticsStore } from '@streamloop/analytics-store/chdb-analytics-store';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { uniqueName } from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

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
