import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Upload } from '@tus/utils';
import type { IngestMetrics } from './ingest-metrics.js';
import type { UploadRecorder } from './upload-recorder.js';
import type { UploadStore } from './upload-store.js';

export interface UploadFinisher {
  /** Makes a complete upload a recorded video with a queued job; idempotent. Returns the video id. */
  finish(upload: Upload): Promise<string>;
}

export function createUploadFinisher(deps: {
  store: UploadStore;
  recorder: UploadRecorder;
  metrics: IngestMetrics;
  logger: Logger;
}): UploadFinisher {
  const { store, recorder, metrics, logger } = deps;
  return {
    async finish(upload) {
      const videoId = upload.metadata?.videoId;
      if (typeof videoId !== 'string') throw new Error(`upload ${upload.id} carries no videoId`);
      if (await recorder.isRecorded(videoId)) return videoId;
      const sourceKey = await store.promote(upload.id, videoId);
      const recorded = await recorder.record({
        videoId,
        sourceKey,
        title: upload.metadata?.title ?? undefined,
        filename: upload.metadata?.filename ?? undefined,
      });
      if (recorded) {
        metrics.uploadsCompleted.inc();
        logger.info({ videoId, sourceKey, bytes: upload.size }, 'upload recorded; transcode job queued');
      }
      await store.release(upload.id).catch((err: unknown) => {
        logger.warn(
          { videoId, uploadId: upload.id, reason: reasonOf(err) },
          'could not remove the staged upload',
        );
      });
      return videoId;
    },
  };
}
