/**
 * An S3 client for S3-compatible servers (S3Proxy, MinIO, Ceph...) as well as AWS: path-style
 * addressing, and checksums only where S3 requires them. Since 2025 the SDK adds CRC32 aws-chunked
 * trailers (and presigned checksum parameters) by default, which many S3-compatible servers refuse.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Config } from '@streamloop/core/config';

export function createS3Client(
  s3: Pick<S3Config, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey'>,
  extra: Omit<S3ClientConfig, 'endpoint' | 'region' | 'credentials'> = {},
): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...extra,
  });
}
