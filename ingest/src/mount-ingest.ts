/**
 * Everything ingest serves, mounted on a given fastify app (its own process in services mode, the
 * shared app in the single-process stack): tus uploads at `/uploads/` and the catalog API at
 * `/api/v1/videos` (with keys and playback restrictions). Side-effect free until the app starts.
 */
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import type { S3Config } from '@streamloop/core/config';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { type ApiKeyOption, toApiKeyAuth } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { registerApiKeyRoutes } from './api-key-routes.js';
import { registerExperimentRoutes } from './experiment-routes.js';
import { createIngestMetrics } from './ingest-metrics.js';
import { registerLadderPlanRoutes } from './ladder-plan-routes.js';
import { registerLadderRoutes, registerVideoLadderRoutes } from './ladder-routes.js';
import { registerMultipartRoutes } from './multipart-routes.js';
import { registerPlaybackRestrictionsRoutes } from './playback-restrictions-routes.js';
import { createS3Multipart } from './s3-multipart.js';
import { trackSourceHashes } from './source-hash.js';
import { createSourcePipeline, type SourcePipeline } from './source-pipeline.js';
import { createTusServer, type RequestOwners } from './tus-server.js';
import { createExpirySweeper, type ExpirySweeper } from './upload-expiry.js';
import { createUploadFinisher } from './upload-finisher.js';
import { createUploadRecorder } from './upload-recorder.js';
import { registerUploadRoutes } from './upload-routes.js';
import { countBytesWritten, createFileUploadStore, createS3UploadStore } from './upload-store.js';
import { createVideoDeleter } from './video-deleter.js';
import { registerVideoRoutes } from './video-routes.js';

export interface IngestDeps {
  catalog: Catalog;
  eventLog: EventLog;
  objectStore: ObjectStore;
  /** The live title features give ladder plans their audience; absent: a reference audience. */
  featureStore?: FeatureStore | undefined;
  /** Set: tus writes straight into this bucket (@tus/s3-store). Unset: staged under `<dataDir>/uploads`. */
  s3?: S3Config | undefined;
  dataDir: string;
  /**
   * The process's key check, or the legacy STREAMLOOP_API_KEY alone (scoped keys from the catalog
   * are accepted beside it either way).
   */
  apiKey: ApiKeyOption;
  logger: Logger;
  registry: Registry;
  /** Larger uploads are refused with 413 before a byte is stored; default 10 GiB. */
  maxUploadBytes?: number;
  /** Media types an upload may declare (`filetype`, 'video/*' wildcards); default any. 415 otherwise. */
  allowedTypes?: readonly string[];
  /** Unfinished uploads answer 410 and are removed after this long; default 24 h. */
  uploadExpirationMs?: number;
  /** How often expired uploads are swept; default 10 min. */
  expirySweepIntervalMs?: number;
  /** Prefix of the tus keys in the bucket (S3 only), before `sources/<videoId>`; default none. */
  uploadKeyPrefix?: string;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 ** 3;
export const DEFAULT_UPLOAD_EXPIRATION_MS = 24 * 3600_000;

/** What other routes may use: the pipeline a directly uploaded object joins (hash, catalog, job). */
export interface IngestRoutes {
  sourcePipeline: SourcePipeline;
  /** One expiry sweep now (it also runs on a timer); how many unfinished uploads it removed. */
  sweepExpiredUploads(): Promise<number>;
}

export function mountIngest(app: FastifyInstance, deps: IngestDeps): IngestRoutes {
  const { catalog, eventLog, objectStore, logger } = deps;
  const metrics = createIngestMetrics(deps.registry);
  const auth = toApiKeyAuth(deps.apiKey, catalog);
  const guard = auth.guard('upload');
  const recorder = createUploadRecorder({ catalog, eventLog, logger });

  const sourcePipeline = createSourcePipeline({ objectStore, recorder, metrics, logger });
  const storeOptions = {
    expirationMs: deps.uploadExpirationMs ?? DEFAULT_UPLOAD_EXPIRATION_MS,
    ...(deps.uploadKeyPrefix === undefined ? {} : { keyPrefix: deps.uploadKeyPrefix }),
  };
  const limits = {
    maxUploadBytes: deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    allowedTypes: deps.allowedTypes,
  };
  const deleteVideo = createVideoDeleter({ catalog, objectStore });
  registerVideoRoutes(app, { catalog, auth, deleteVideo });
  registerApiKeyRoutes(app, { catalog, auth });
  registerPlaybackRestrictionsRoutes(app, { catalog, auth });
  registerLadderRoutes(app, { catalog, auth });
  registerVideoLadderRoutes(app, { catalog, auth, eventLog, logger });
  registerLadderPlanRoutes(app, {
    catalog,
    objectStore,
    auth,
    eventLog,
    logger,
    featureStore: deps.featureStore,
  });
  registerExperimentRoutes(app, { catalog, auth, eventLog, logger });
  const s3 = deps.s3 === undefined ? undefined : createS3Multipart(deps.s3);
  if (s3 !== undefined) app.addHook('onClose', async () => s3.close());
  // A directly uploaded object joins the tus uploads' pipeline: SHA-256, dedup, catalog, job.
  registerMultipartRoutes(app, {
    catalog,
    auth,
    s3,
    finisher: sourcePipeline,
    maxUploadBytes: limits.maxUploadBytes,
    logger,
  });

  let sweeper: ExpirySweeper | undefined;
  // Encapsulated: the raw-body content-type parser applies to the upload routes only.
  app.register(async (scope) => {
    const store = deps.s3
      ? createS3UploadStore(deps.s3, objectStore, storeOptions)
      : await createFileUploadStore(path.join(deps.dataDir, 'uploads'), objectStore, storeOptions);
    countBytesWritten(store, (bytes) => metrics.bytesReceived.inc(bytes));
    const hashes = trackSourceHashes(store.datastore);
    logger.info(
      { uploadStore: store.description },
      `uploads: tus 1.0 at /uploads/ into ${store.description}`,
    );
    const finisher = createUploadFinisher({ store, hashes, pipeline: sourcePipeline, recorder, logger });
    const owners: RequestOwners = new WeakMap();
    const tus = createTusServer({
      store,
      catalog,
      finisher,
      logger,
      maxUploadBytes: limits.maxUploadBytes,
      owners,
    });
    registerUploadRoutes(scope, { tus, store, finisher, guard, logger, limits, owners });

    sweeper = createExpirySweeper({
      store,
      metrics,
      logger,
      intervalMs: deps.expirySweepIntervalMs ?? 10 * 60_000,
    });
    const started = sweeper;
    scope.addHook('onReady', async () => started.start());
    scope.addHook('onClose', async () => started.stop());
  });
  return {
    sourcePipeline,
    async sweepExpiredUploads() {
      if (sweeper === undefined) throw new Error('the upload routes are not ready yet (await app.ready())');
      return sweeper.runOnce();
    },
  };
}
