/**
 * Ingest on the real services: PostgreSQL (a scratch database per run, dropped after), Kafka,
 * S3Proxy, and Redis under a unique key prefix, so parallel runs of other tests never see our rows.
 * A missing service fails loudly (requireService), never skips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { type Config, loadConfig, type S3Config } from '@streamloop/core/config';
import { requireService, uniqueName } from '@streamloop/core/testing';
import { ALL_TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { createRedisFeatureStore } from '@streamloop/feature-store/redis-feature-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { connectRealServices } from '@streamloop/service-kit/testing';
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
  const services = await connectRealServices(realConfig, {
    databasePrefix: 'streamloop_ingest',
    topics: ALL_TOPICS,
    logger: silentLogger,
  });
  const { catalog, eventLog, objectStore, s3 } = services;
  const redisUrl = requireService('Redis', 'REDIS_URL', realConfig.redisUrl);
  const dir = await mkdtemp(path.join(tmpdir(), 'streamloop-ingest-real-'));
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
      await Promise.allSettled([services.close(), featureStore.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
