import type { Readable } from 'node:stream';
import { AppError } from '@streamloop/core/errors';
import type { Port } from '@streamloop/core/port';

/**
 * Where videos live: uploads, renditions, manifests, thumbnails. The port is the part of S3 the
 * services use, with keys validated the same way for every adapter so a key that works on the local
 * folder also works on S3 and the other way round.
 */
export interface ObjectInfo {
  key: string;
  /** Bytes in the whole object (also for a range read). */
  size: number;
  /** Changes whenever the content changes; unquoted. */
  etag?: string;
  contentType?: string;
  cacheControl?: string;
  lastModified?: Date;
}

export interface PutOptions {
  /** Defaults to application/octet-stream. */
  contentType?: string;
  cacheControl?: string;
}

/** Inclusive byte range, as in an HTTP Range header; `end` past the object is clamped. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface GetResult extends ObjectInfo {
  /** Holds a file handle or a socket until read to the end or destroyed: always do one of the two. */
  body: Readable;
  /** The inclusive bytes `body` holds when a range was asked for. */
  range?: { start: number; end: number };
}

export interface ObjectStore extends Port {
  /** Buffers go up in one request; a Readable is streamed (multipart on S3), never held whole in memory. */
  put(key: string, body: Buffer | Uint8Array | string | Readable, options?: PutOptions): Promise<ObjectInfo>;
  /** null when missing; throws RangeNotSatisfiableError when `range.start` is at or past the end. */
  get(key: string, range?: ByteRange): Promise<GetResult | null>;
  getBuffer(key: string): Promise<Buffer | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix` ('' for all), in byte order of the key. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Succeeds whether or not the object exists. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix`; returns how many. An empty prefix is refused (it would wipe the store). */
  deletePrefix(prefix: string): Promise<number>;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** A range that starts at or past the end of the object (HTTP 416); `size` lets the caller answer `bytes *\/size`. */
export class RangeNotSatisfiableError extends Error {
  readonly key: string;
  readonly size: number;
  constructor(key: string, size: number, range: ByteRange) {
    super(`range ${range.start}-${range.end ?? ''} is outside '${key}' (${size} bytes)`);
    this.name = 'RangeNotSatisfiableError';
    this.key = key;
    this.size = size;
  }
}

/** The local folder cannot hold both an object 'a' and objects under 'a/' (a file and a folder of one name). */
export class ObjectKeyConflictError extends AppError {
  constructor(key: string, reason: string) {
    super('ERR_CONFLICT', `cannot store '${key}': ${reason}`);
    this.name = 'ObjectKeyConflictError';
  }
}

export function checkRange(range: ByteRange): ByteRange {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0)
    throw new RangeError(`range start must be an integer ≥ 0, got ${start}`);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new RangeError(`range end must be an integer ≥ start (${start}), got ${end}`);
  }
  return range;
}

/** The bytes of an in-memory body; a Uint8Array view is wrapped, not copied. */
export function toBuffer(body: Buffer | Uint8Array | string): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
