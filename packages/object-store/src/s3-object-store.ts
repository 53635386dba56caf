import { pipeline, Readable, Transform } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Config } from '@streamloop/core/config';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { AdapterInfo } from '@streamloop/core/port';
import { isValidObjectKey, validateDeletePrefix, validateObjectKey, validatePrefix } from './object-key.js';
import {
  type ByteRange,
  checkRange,
  DEFAULT_CONTENT_TYPE,
  type GetResult,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  RangeNotSatisfiableError,
  readAll,
  toBuffer,
} from './object-store.js';
import { createS3Client } from './s3-client.js';

export interface S3ObjectStoreOptions extends S3Config {
  logger?: Logger;
  /** Keys per ListObjectsV2 / DeleteObjects page (S3 allows at most 1000). Small values prove pagination in tests. */
  pageSize?: number;
  /** Multipart part size for streamed puts; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded in parallel; memory held is about partSizeBytes × this. */
  uploadConcurrency?: number;
  /** How long reaching the bucket (and creating it) may take before start fails. */
  startupTimeoutMs?: number;
}

const MIB = 1024 * 1024;
// Where DeleteObjects is refused, a few deletes in flight keep a 1000-segment rendition from taking minutes.
const SINGLE_DELETE_CONCURRENCY = 8;

interface S3Error {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (err: unknown): number | undefined =>
  (err as S3Error | undefined)?.$metadata?.httpStatusCode;
const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, '');

/** SDK errors for bodiless responses (HEAD) carry only a status; say what it means. */
export function describeS3Error(err: unknown): string {
  const status = statusOf(err);
  if (status === 403) return 'access denied (HTTP 403); check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY';
  if (status !== undefined && status >= 300) {
    const name = (err as S3Error).Code ?? (err as S3Error).name ?? 'error';
    const message = (err as S3Error).message;
    return `${name}${message && message !== 'UnknownError' && message !== name ? `: ${message}` : ''} (HTTP ${status})`;
  }
  return reasonOf(err);
}

/** The endpoint to print or log, with any credentials in the URL removed. */
export function s3Address(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return endpoint;
  }
}

/** Counts bytes as a stream passes through (without a 'data' listener, which would start the flow early). */
function byteCounter(): { stream: Transform; bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

/**
 * Objects in an S3 bucket, created at start if missing. Built for S3-compatible servers (S3Proxy,
 * MinIO, GCS) as much as AWS: path-style URLs, and checksums only where S3 demands them.
 */
export async function createS3ObjectStore(options: S3ObjectStoreOptions): Promise<ObjectStore> {
  const { bucket, logger } = options;
  const pageSize = Math.min(Math.max(options.pageSize ?? 1000, 1), 1000);
  const partSize = Math.max(options.partSizeBytes ?? 5 * MIB, 5 * MIB);
  const queueSize = options.uploadConcurrency ?? 2;

  const client = createS3Client(options, {
    maxAttempts: 3,
    // requestTimeout is socket inactivity, not total time, so long uploads are fine.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
  });

  try {
    await ensureBucket(client, bucket, options.startupTimeoutMs ?? 10_000);
  } catch (err) {
    client.destroy();
    throw err;
  }

  let batchDeleteWorks = true;
  const adapter: AdapterInfo = {
    port: 'object-store',
    kind: 'real',
    service: 'S3',
    target: `${s3Address(options.endpoint)}/${bucket}`,
  };

  const isMissing = (err: unknown): boolean => {
    const name = (err as S3Error).name;
    return statusOf(err) === 404 || name === 'NoSuchKey' || name === 'NotFound';
  };

  async function* pages(
    prefix: string,
  ): AsyncGenerator<{ key: string; size: number; etag?: string; lastModified?: Date }[]> {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          MaxKeys: pageSize,
          ContinuationToken: token,
        }),
      );
      yield (page.Contents ?? []).flatMap((item) =>
        item.Key === undefined
          ? []
          : [
              {
                key: item.Key,
                size: item.Size ?? 0,
                ...(item.ETag === undefined ? {} : { etag: unquote(item.ETag)! }),
                ...(item.LastModified === undefined ? {} : { lastModified: item.LastModified }),
              },
            ],
      );
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  const deleteOneByOne = async (keys: string[]): Promise<number> => {
    for (let i = 0; i < keys.length; i += SINGLE_DELETE_CONCURRENCY) {
      await Promise.all(
        keys
          .slice(i, i + SINGLE_DELETE_CONCURRENCY)
          .map((key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))),
      );
    }
    return keys.length;
  };

  const deleteBatch = async (keys: string[]): Promise<number> => {
    if (!batchDeleteWorks) return deleteOneByOne(keys);
    try {
      const result = await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new Error(
          `S3 refused to delete ${failed.length} object(s), first '${first.Key}': ${first.Code} ${first.Message ?? ''}`,
        );
      }
      return keys.length;
    } catch (err) {
      const status = statusOf(err);
      // DeleteObjects must carry a checksum; servers that reject the SDK's choice answer 400/501.
      if (status !== 400 && status !== 501) throw err;
      batchDeleteWorks = false;
      logger?.warn(
        { reason: describeS3Error(err) },
        'S3 refused DeleteObjects; deleting one object at a time',
      );
      return deleteOneByOne(keys);
    }
  };

  const store: ObjectStore = {
    adapter,

    async put(key, body, options?: PutOptions) {
      validateObjectKey(key);
      const contentType = options?.contentType ?? DEFAULT_CONTENT_TYPE;
      const cacheControl = options?.cacheControl;
      const meta = { contentType, ...(cacheControl === undefined ? {} : { cacheControl }) };
      if (!(body instanceof Readable)) {
        const bytes = toBuffer(body);
        const result = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: bytes,
            ContentType: contentType,
            CacheControl: cacheControl,
          }),
        );
        return { key, size: bytes.length, ...etagOf(result.ETag), ...meta };
      }
      const counter = byteCounter();
      // pipeline, not pipe: a failing source fails the upload, and a failing upload releases the source.
      pipeline(body, counter.stream, () => undefined);
      const upload = new Upload({
        client,
        params: {
          Bucket: bucket,
          Key: key,
          Body: counter.stream,
          ContentType: contentType,
          CacheControl: cacheControl,
        },
        partSize,
        queueSize,
        // Failed multipart uploads are aborted so their parts do not linger (and cost) in the bucket.
        leavePartsOnError: false,
      });
      let result: { ETag?: string };
      try {
        result = await upload.done();
      } catch (err) {
        counter.stream.destroy();
        throw err;
      }
      return { key, size: counter.bytes(), ...etagOf(result.ETag), ...meta };
    },

    async get(key, range?: ByteRange): Promise<GetResult | null> {
      validateObjectKey(key);
      if (range !== undefined) checkRange(range);
      try {
        const result = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end ?? ''}` }),
          }),
        );
        const info = infoOf(key, result);
        const body = result.Body as Readable;
        const served = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(result.ContentRange ?? '');
        if (range === undefined || served === null) return { ...info, body };
        return {
          ...info,
          size: Number(served[3]),
          range: { start: Number(served[1]), end: Number(served[2]) },
          body,
        };
      } catch (err) {
        if (isMissing(err)) return null;
        if (statusOf(err) === 416 && range !== undefined) {
          const head = await store.head(key);
          if (head === null) return null;
          throw new RangeNotSatisfiableError(key, head.size, range);
        }
        throw err;
      }
    },

    async getBuffer(key) {
      const result = await store.get(key);
      return result === null ? null : readAll(result.body);
    },

    async head(key) {
      validateObjectKey(key);
      try {
        const result = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return infoOf(key, result);
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    },

    async *list(prefix) {
      validatePrefix(prefix);
      for await (const page of pages(prefix)) {
        for (const item of page) if (isValidObjectKey(item.key)) yield item;
      }
    },

    async delete(key) {
      validateObjectKey(key);
      // S3 answers 204 for a missing key too, which is what makes this idempotent.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },

    async deletePrefix(prefix) {
      validateDeletePrefix(prefix);
      let deleted = 0;
      // The continuation token names the last key listed, so deleting a page does not disturb the next one.
      for await (const page of pages(prefix)) {
        if (page.length > 0) deleted += await deleteBatch(page.map((item) => item.key));
      }
      return deleted;
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        throw new Error(`bucket '${bucket}': ${describeS3Error(err)}`);
      }
    },

    async close() {
      client.destroy();
    },
  };
  return store;
}

/** What a GetObject or HeadObject answer says about the object. */
function infoOf(
  key: string,
  result: {
    ContentLength?: number;
    ETag?: string;
    ContentType?: string;
    CacheControl?: string;
    LastModified?: Date;
  },
): ObjectInfo {
  return {
    key,
    size: result.ContentLength ?? 0,
    ...etagOf(result.ETag),
    contentType: result.ContentType ?? DEFAULT_CONTENT_TYPE,
    ...(result.CacheControl === undefined ? {} : { cacheControl: result.CacheControl }),
    ...(result.LastModified === undefined ? {} : { lastModified: result.LastModified }),
  };
}

function etagOf(raw: string | undefined): { etag?: string } {
  const etag = unquote(raw);
  return etag === undefined ? {} : { etag };
}

/** HeadBucket, and CreateBucket when it is missing, all within `timeoutMs` (requests are aborted after it). */
async function ensureBucket(client: S3Client, bucket: string, timeoutMs: number): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const abortSignal = abort.signal;
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal });
      return;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal });
    } catch (err) {
      // Another process created it between our HEAD and CREATE: that is the outcome we wanted.
      const name = (err as S3Error).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
    }
  } catch (err) {
    if (abortSignal.aborted) throw new Error(`no answer within ${timeoutMs} ms`);
    throw new Error(describeS3Error(err));
  } finally {
    clearTimeout(timer);
  }
}
