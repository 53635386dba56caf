/**
 * Ingest on the real services: PostgreSQL (a scratch database per run, dropped after), Kafka,
 * S3Proxy, and Redis under a unique key prefix, so parallel runs of other tests never see our rows.
 * A missing service fails loudly (requireService), never skips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase } from '@streamloop/catalog/testing';
import { type Config, loadConfig, type S3Config } from '@streamloop/core/config';
import { assertReachable, requireService, uniqueName } from '@streamloop/core/testing';
import { ALL_TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { createRedisFeatureStore } from '@streamloop/feature-store/redis-feature-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { createS3ObjectStore } from '@streamloop/object-store/s3-object-store';
import { type IngestApp, silentLogger, startIngest } from './helpers.js';

export const realConfig: Config = loadConfig(process.env);

export interface RealIngest extends IngestApp {
  dir: string;
  catalog: Catalog;
  eventLog: EventLog;
  objectStore: ObjectStore;
  /** Analytics' feature store (ingest itself does not open one): where its per-video keys live. */
  featureStore: FeatureStore;
  s3: S3Config;
  teardown(): Promise<void>;
}

export async function startRealIngest(): Promise<RealIngest> {
  const s3 = requireService('S3Proxy', 'S3_ENDPOINT', realConfig.s3);
  const kafka = requireService('Kafka', 'KAFKA_BROKERS', realConfig.kafka);
  const databaseUrl = requireService('PostgreSQL', 'DATABASE_URL', realConfig.databaseUrl);
  const redisUrl = requireService('Redis', 'REDIS_URL', realConfig.redisUrl);
  const dir = await mkdtemp(path.join(tmpdir(), 'streamloop-ingest-real-'));
  const scratch = await createScratchDatabase(databaseUrl);
  const catalog = createPgCatalog({ url: scratch.url, logger: silentLogger });
  await catalog.migrate();
  let eventLog!: EventLog;
  await assertReachable('Kafka', kafka.brokers.join(','), async () => {
    eventLog = await createKafkaEventLog({ ...kafka, connectTimeoutMs: 10_000 }, { logger: silentLogger });
  });
  await eventLog.ensureTopics(ALL_TOPICS);
  let objectStore!: ObjectStore;
  await assertReachable('S3Proxy', s3.endpoint, async () => {
    objectStore = await createS3ObjectStore({ ...s3, logger: silentLogger, startupTimeoutMs: 10_000 });
  });
  const featureStore = await createRedisFeatureStore({
    url: redisUrl,
    keyPrefix: `${uniqueName('ingest-test')}:`,
    logger: silentLogger,
  });
  const app = await startIngest({
    catalog,
    eventLog,
    objectStore,
    s3,
    dataDir: path.join(dir, 'data'),
  });
  return {
    ...app,
    dir,
    catalog,
    eventLog,
    objectStore,
    featureStore,
    s3,
    async teardown() {
      await app.close();
      await Promise.allSettled([
        eventLog.close(),
        catalog.close(),
        objectStore.close(),
        featureStore.close(),
      ]);
      await scratch.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
