/**
 * What a direct (multipart) upload calls once its object is in the bucket, so it joins the same
 * pipeline as a tus upload. The shape is ingest-tus's `finisher.finishObject` (hash, dedup, catalog,
 * job); until that lands this adapter records through the existing UploadRecorder (catalog row
 * 'uploaded' + transcode job via the outbox), without hashing or dedup.
 */
import type { UploadRecorder } from './upload-recorder.js';

export interface FinishObjectInput {
  videoId: string;
  objectKey: string;
  sizeBytes: number;
  declaredSha256?: string | undefined;
  owner: string;
}

export interface ObjectFinisher {
  finishObject(input: FinishObjectInput): Promise<{ videoId: string; deduplicatedFrom?: string }>;
}

export function createRecorderObjectFinisher(recorder: UploadRecorder): ObjectFinisher {
  return {
    async finishObject(input) {
      // The row exists (created when the multipart upload started); record() moves it to 'uploaded'.
      await recorder.record({
        videoId: input.videoId,
        sourceKey: input.objectKey,
        title: undefined,
        filename: undefined,
      });
      return { videoId: input.videoId };
    },
  };
}
