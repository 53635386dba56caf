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
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '@streamloop/core/config';
import { sourceKey } from '@streamloop/core/object-layout';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { FileStore } from '@tus/file-store';
import { type MetadataValue, S3Store } from '@tus/s3-store';
import { type DataStore, MemoryKvStore, Upload } from '@tus/utils';

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
  /**
   * Removes every trace of a finished upload that must not be used (checksum mismatch, duplicate
   * content): the upload, its info and its promoted object. The tus id then answers 404.
   */
  discard(uploadId: string, sourceKey: string): Promise<void>;
  /** Aborts and deletes the unfinished uploads older than the expiration period; returns how many. */
  sweepExpired(): Promise<number>;
}

export interface UploadStoreOptions {
  /** Unfinished uploads are refused (410) and swept after this long; 0 keeps them forever. */
  expirationMs: number;
  /** Prepended to `sources/<videoId>` in the bucket (S3 only; tests isolate themselves with it). */
  keyPrefix?: string;
}

export function sourceKeyOf(videoId: string): string {
  return sourceKey(videoId);
}

// 8 MiB parts: S3 wants 5 MiB to 5 GiB (10,000 parts max), so this covers sources up to ~78 GiB.
const S3_PART_BYTES = 8 * 1024 * 1024;

export function createS3UploadStore(
  s3: S3Config,
  objectStore: ObjectStore,
  options: UploadStoreOptions,
): UploadStore {
  const keyPrefix = options.keyPrefix ?? '';
  const clientConfig = {
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    // Servers other than AWS reject the SDK's default CRC32 aws-chunked trailers (FACTS.md).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as const;
  // Ours, so a discarded upload can be dropped from it (S3Store's own cache is private).
  const cache = new MemoryKvStore<MetadataValue>();
  const datastore = new S3Store({
    partSize: S3_PART_BYTES,
    cache,
    expirationPeriodInMilliseconds: options.expirationMs,
    // Tags (for bucket lifecycle rules) are not implemented by every S3 server (S3Proxy refuses
    // them); expired uploads are swept by `sweepExpired` instead.
    useTags: false,
    s3ClientConfig: { bucket: s3.bucket, ...clientConfig },
  });
  const client = new S3Client(clientConfig);
  reportCompletedUploads(datastore, objectStore);
  const uploadIdOf = (videoId: string): string => `${keyPrefix}${sourceKeyOf(videoId)}`;

  const removeObjects = async (uploadId: string): Promise<void> => {
    for (const key of [uploadId, `${uploadId}.info`, `${uploadId}.part`]) await objectStore.delete(key);
    await cache.delete(uploadId);
  };

  return {
    datastore,
    description: `S3 bucket ${s3.bucket}`,
    uploadIdOf,
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
    async discard(uploadId) {
      await removeObjects(uploadId);
    },
    /**
     * Not S3Store.deleteExpired: that one lists EVERY multipart upload in the bucket and would abort
     * uploads that are not tus's (direct multipart uploads, other deployments sharing the bucket).
     * Only multipart uploads under our prefix whose `.info` says they expired are touched.
     */
    async sweepExpired() {
      if (options.expirationMs <= 0) return 0;
      let swept = 0;
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await client.send(
          new ListMultipartUploadsCommand({
            Bucket: s3.bucket,
            Prefix: uploadIdOf(''),
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const { Key: key, UploadId: multipartId } of page.Uploads ?? []) {
          if (key === undefined || multipartId === undefined) continue;
          const upload = await datastore.getUpload(key).catch(() => undefined);
          const created = upload?.creation_date === undefined ? Number.NaN : Date.parse(upload.creation_date);
          if (!(Date.now() - created > options.expirationMs)) continue;
          await client.send(
            new AbortMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId: multipartId }),
          );
          await removeObjects(key);
          swept += 1;
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
      return swept;
    },
  };
}

/**
 * S3Store works out a completed upload from ListParts failing with NoSuchUpload; S3Proxy instead
 * answers an empty part list, so a completed upload read as offset 0 and a second PATCH at offset 0
 * was let in (and failed at CompleteMultipartUpload). The final object only exists once the
 * multipart upload completed, so its presence is the answer.
 */
function reportCompletedUploads(datastore: S3Store, objectStore: ObjectStore): void {
  const getUpload = datastore.getUpload.bind(datastore);
  datastore.getUpload = async (id) => {
    const upload = await getUpload(id);
    if (upload.offset !== 0 || !upload.size || (await objectStore.head(id)) === null) return upload;
    return new Upload({ ...upload, offset: upload.size });
  };
}

export async function createFileUploadStore(
  directory: string,
  objectStore: ObjectStore,
  options: UploadStoreOptions,
): Promise<UploadStore> {
  // FileStore creates its folder in the background and throws from a callback on failure: do it first.
  await mkdir(directory, { recursive: true });
  const datastore = new FileStore({ directory, expirationPeriodInMilliseconds: options.expirationMs });
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
    async discard(uploadId, sourceKey) {
      await datastore.remove(uploadId).catch(() => undefined);
      await objectStore.delete(sourceKey);
    },
    async sweepExpired() {
      // The folder is ours alone, so the store's own sweep is safe here.
      return options.expirationMs > 0 ? datastore.deleteExpired() : 0;
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
