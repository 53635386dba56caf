/**
 * Where tus keeps an upload while it arrives, and how a finished upload becomes the source object
 * transcode reads (`sources/<videoId>` through the ObjectStore port).
 *
 * - S3 (`@tus/s3-store`): the upload IS the source. Its tus id is `sources/<videoId>`, so the
 *   multipart upload completes straight into the final key of the bucket the ObjectStore uses;
 *   `sources/<videoId>.info` (and `.part` while a chunk under 5 MiB waits) sit beside it.
 * - Local (`@tus/file-store`): uploads are staged under `<dataDir>/uploads/<videoId>`, copied into the
 *   ObjectStore when complete, and the staging file is removed once the catalog has recorded it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { S3Config } from '@streamloop/core/config';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { FileStore } from '@tus/file-store';
import { S3Store } from '@tus/s3-store';
import type { DataStore } from '@tus/utils';

export interface UploadStore {
  readonly datastore: DataStore;
  /** 'S3 bucket streamloop' or 'local folder /data/uploads', for logs. */
  readonly description: string;
  /** The tus upload id for a video (also its name in the store). */
  uploadIdOf(videoId: string): string;
  /** Makes the finished upload readable through the ObjectStore and returns its key. Idempotent. */
  promote(uploadId: string, videoId: string): Promise<string>;
  /** Called after the catalog recorded the upload; best effort. */
  release(uploadId: string): Promise<void>;
}

export function sourceKeyOf(videoId: string): string {
  return `sources/${videoId}`;
}

// 8 MiB parts: S3 wants 5 MiB to 5 GiB (10,000 parts max), so this covers sources up to ~78 GiB.
const S3_PART_BYTES = 8 * 1024 * 1024;

export function createS3UploadStore(s3: S3Config, objectStore: ObjectStore): UploadStore {
  const datastore = new S3Store({
    partSize: S3_PART_BYTES,
    s3ClientConfig: {
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      // Servers other than AWS reject the SDK's default CRC32 aws-chunked trailers (FACTS.md).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
  });
  return {
    datastore,
    description: `S3 bucket ${s3.bucket}`,
    uploadIdOf: sourceKeyOf,
    async promote(uploadId) {
      // The multipart upload already completed into this key; make sure the port sees it.
      if ((await objectStore.head(uploadId)) === null) {
        throw new Error(`the finished upload ${uploadId} is not in the object store`);
      }
      return uploadId;
    },
    async release() {
      // Kept: the `.info` object lets a client whose last response was lost ask (HEAD) again.
    },
  };
}

export async function createFileUploadStore(
  directory: string,
  objectStore: ObjectStore,
): Promise<UploadStore> {
  // FileStore creates its folder in the background and throws from a callback on failure: do it first.
  await mkdir(directory, { recursive: true });
  const datastore = new FileStore({ directory });
  return {
    datastore,
    description: `local folder ${path.resolve(directory)}`,
    uploadIdOf: (videoId) => videoId,
    async promote(uploadId, videoId) {
      const key = sourceKeyOf(videoId);
      await objectStore.put(key, datastore.read(uploadId), { contentType: 'application/octet-stream' });
      return key;
    },
    async release(uploadId) {
      await datastore.remove(uploadId);
    },
  };
}

/** Counts every byte a PATCH (or creation-with-upload POST) writes, whatever the store. */
export function countBytesWritten(store: UploadStore, onBytes: (bytes: number) => void): void {
  const { datastore } = store;
  const write = datastore.write.bind(datastore);
  datastore.write = async (stream, id, offset) => {
    const newOffset = await write(stream, id, offset);
    if (newOffset > offset) onBytes(newOffset - offset);
    return newOffset;
  };
}
