import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgliteCatalog } from '@streamloop/catalog/pglite-catalog';
import { ALL_TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { createMemoryFeatureStore } from '@streamloop/feature-store/memory-feature-store';
import { createLocalObjectStore } from '@streamloop/object-store/local-object-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { type IngestApp, silentLogger, startIngest } from './helpers.js';

export interface EmbeddedIngest extends IngestApp {
  dir: string;
  dataDir: string;
  catalog: Catalog;
  eventLog: EventLog;
  objectStore: ObjectStore;
  /** The feature store: analytics' per-video keys live there, and ingest's ladder plans read it. */
  featureStore: FeatureStore;
  teardown(): Promise<void>;
}

/** Ingest on the embedded adapters (PGlite, in-process log, local folder) in a fresh temp dir. */
export async function startEmbeddedIngest(
  options: { createTopics?: boolean; maxUploadBytes?: number; allowedTypes?: readonly string[] } = {},
): Promise<EmbeddedIngest> {
  const dir = await mkdtemp(path.join(tmpdir(), 'streamloop-ingest-'));
  const dataDir = path.join(dir, 'data');
  const catalog = await createPgliteCatalog({ dataDir: path.join(dataDir, 'catalog') });
  await catalog.migrate();
  const eventLog = createMemoryEventLog({ logger: silentLogger });
  if (options.createTopics ?? true) await eventLog.ensureTopics(ALL_TOPICS);
  const objectStore = await createLocalObjectStore({ root: path.join(dataDir, 'objects') });
  const featureStore = createMemoryFeatureStore();
  const app = await startIngest({
    catalog,
    eventLog,
    objectStore,
    featureStore,
    dataDir,
    ...(options.maxUploadBytes === undefined ? {} : { maxUploadBytes: options.maxUploadBytes }),
    ...(options.allowedTypes === undefined ? {} : { allowedTypes: options.allowedTypes }),
  });
  return {
    ...app,
    dir,
    dataDir,
    catalog,
    eventLog,
    objectStore,
    featureStore,
    async teardown() {
      await app.close();
      await eventLog.close();
      await catalog.close();
      await objectStore.close();
      await featureStore.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
