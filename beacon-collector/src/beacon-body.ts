/**
 * The raw body of a beacon request as text: read up to the byte limit (fastify refuses a larger
 * Content-Length before reading a byte), then, for `Content-Encoding: gzip`, inflated up to the
 * SAME limit — zlib stops at `maxOutputLength`, so a gzip bomb costs at most 64 KiB of output,
 * never the 100 MB it claims.
 */
import { gunzipSync } from 'node:zlib';
import { AppError } from '@streamloop/core/errors';

export function decodeBeaconBody(raw: Buffer, contentEncoding: string | undefined, maxBytes: number): string {
  const encoding = contentEncoding?.trim().toLowerCase() ?? 'identity';
  if (encoding === 'identity' || encoding === '') return raw.toString('utf8');
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new AppError(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding ${encoding} is not supported; send gzip or nothing`,
    );
  }
  try {
    return gunzipSync(raw, { maxOutputLength: maxBytes }).toString('utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AppError(
        'ERR_PAYLOAD_TOO_LARGE',
        `a beacon batch is at most ${maxBytes} bytes once decompressed`,
      );
    }
    throw new AppError('ERR_VALIDATION', 'the body is not valid gzip');
  }
}
