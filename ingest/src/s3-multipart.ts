/**
 * The S3 calls behind direct uploads: create a multipart upload, presign one PUT URL per part (the
 * browser sends the bytes straight to S3), complete or abort it. Only S3 can do this; the embedded
 * local-folder store has no presigned URLs.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Config } from '@streamloop/core/config';
import { createS3Client } from '@streamloop/object-store/s3-client';

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface S3Multipart {
  create(objectKey: string, contentType: string): Promise<string>;
  presignPart(
    objectKey: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
  ): Promise<string>;
  /** Resolves with the object's size; rejects with S3's reason (also when it failed inside a 200). */
  complete(objectKey: string, uploadId: string, parts: readonly CompletedPart[]): Promise<number>;
  abort(objectKey: string, uploadId: string): Promise<void>;
  deleteObject(objectKey: string): Promise<void>;
  /** The object's size; undefined when it does not exist. */
  sizeOf(objectKey: string): Promise<number | undefined>;
  close(): void;
}

export function createS3Multipart(s3: S3Config): S3Multipart {
  const client = createS3Client(s3);
  const Bucket = s3.bucket;
  const sizeOf = async (Key: string): Promise<number | undefined> => {
    try {
      return (await client.send(new HeadObjectCommand({ Bucket, Key }))).ContentLength ?? 0;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw err;
    }
  };
  return {
    async create(Key, ContentType) {
      const out = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }));
      if (!out.UploadId) throw new Error(`S3 returned no UploadId for ${Key}`);
      return out.UploadId;
    },
    presignPart: (Key, UploadId, PartNumber, expiresIn) =>
      getSignedUrl(client, new UploadPartCommand({ Bucket, Key, UploadId, PartNumber }), { expiresIn }),
    async complete(Key, UploadId, parts) {
      // The SDK turns an error inside a 200 response into a rejection (FACTS.md), so reaching the
      // HEAD means S3 assembled the object.
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
      return (await sizeOf(Key)) ?? 0;
    },
    sizeOf,
    async deleteObject(Key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key }));
    },
    async abort(Key, UploadId) {
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    },
    close: () => client.destroy(),
  };
}
