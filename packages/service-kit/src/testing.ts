/**
 * For integration tests of the services that run on PostgreSQL, Kafka and S3 together (ingest,
 * transcode): each is required from the config (a missing one fails loudly, never a skip), the
 * catalog gets a migrated database of the test file's own, and `close()` releases it all.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase } from '@streamloop/catalog/testing';
import type { Config, KafkaConfig, S3Config } from '@streamloop/core/config';
import type { Logger } from '@streamloop/core/logger';
import { assertReachable, requireService } from '@streamloop/core/testing';
import type { EventLog, TopicDefinition } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { createS3ObjectStore } from '@streamloop/object-store/s3-object-store';

export interface RealServices {
  catalog: Catalog;
  /** The scratch database the catalog is on. */
  databaseUrl: string;
  eventLog: EventLog;
  objectStore: ObjectStore;
  kafka: KafkaConfig;
  s3: S3Config;
  /** Closes every client and drops the scratch database. */
  close(): Promise<void>;
}

export async function connectRealServices(
  config: Pick<Config, 's3' | 'kafka' | 'databaseUrl'>,
  options: { databasePrefix: string; topics: TopicDefinition[]; logger: Logger },
): Promise<RealServices> {
  const { logger } = options;
  const s3 = requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
  const kafka = requireService('Kafka', 'KAFKA_BROKERS', config.kafka);
  const scratch = await createScratchDatabase(
    requireService('PostgreSQL', 'DATABASE_URL', config.databaseUrl),
    options.databasePrefix,
  );
  const catalog = createPgCatalog({ url: scratch.url, logger });
  await catalog.migrate();
  let eventLog!: EventLog;
  await assertReachable('Kafka', kafka.brokers.join(','), async () => {
    eventLog = await createKafkaEventLog({ ...kafka, connectTimeoutMs: 10_000 }, { logger });
  });
  await eventLog.ensureTopics(options.topics);
  let objectStore!: ObjectStore;
  await assertReachable('S3Proxy', s3.endpoint, async () => {
    objectStore = await createS3ObjectStore({ ...s3, logger, startupTimeoutMs: 10_000 });
  });
  return {
    catalog,
    databaseUrl: scratch.url,
    eventLog,
    objectStore,
    kafka,
    s3,
    async close() {
      await Promise.allSettled([eventLog.close(), catalog.close(), objectStore.close()]);
      await scratch.drop();
    },
  };
}
