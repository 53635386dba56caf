/**
 * A complete tus upload → the source pipeline (hash, verify, catalog + job or dedup), with the hash
 * computed while its bytes arrived when this process saw all of them.
 */
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Upload } from '@tus/utils';
import type { SourceHashes } from './source-hash.js';
import { DEFAULT_OWNER, type FinishedSource, type SourcePipeline } from './source-pipeline.js';
import type { UploadRecorder } from './upload-recorder.js';
import type { UploadStore } from './upload-store.js';

export type FinishedUploadResult = FinishedSource | { videoId: string; alreadyRecorded: true };

export interface UploadFinisher {
  /** Idempotent: an upload whose video is already recorded just returns its id. */
  finish(upload: Upload): Promise<FinishedUploadResult>;
}

export function createUploadFinisher(deps: {
  store: UploadStore;
  hashes: SourceHashes;
  pipeline: SourcePipeline;
  recorder: UploadRecorder;
  logger: Logger;
}): UploadFinisher {
  const { store, hashes, pipeline, recorder, logger } = deps;
  return {
    async finish(upload) {
      const videoId = upload.metadata?.videoId;
      if (typeof videoId !== 'string') throw new Error(`upload ${upload.id} carries no videoId`);
      if (await recorder.isRecorded(videoId)) return { videoId, alreadyRecorded: true };
      const objectKey = await store.promote(upload.id, videoId);
      const sizeBytes = upload.size ?? upload.offset;
      const finished = await pipeline.finishObject(
        {
          videoId,
          objectKey,
          sizeBytes,
          declaredSha256: upload.metadata?.sha256 ?? undefined,
          owner: upload.metadata?.owner ?? DEFAULT_OWNER,
          title: upload.metadata?.title ?? undefined,
          filename: upload.metadata?.filename ?? undefined,
        },
        {
          knownSha256: hashes.takeComplete(upload.id, sizeBytes),
          discard: () => store.discard(upload.id, objectKey),
        },
      );
      if (finished.deduplicatedFrom === undefined) {
        await store.release(upload.id).catch((err: unknown) => {
          logger.warn(
            { videoId, uploadId: upload.id, reason: reasonOf(err) },
            'could not remove the staged upload',
          );
        });
      }
      return finished;
    },
  };
}
