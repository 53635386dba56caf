/**
 * SHA-256 of an upload's bytes. @tus/s3-store has no checksum extension, so the whole object is
 * hashed when the upload finishes. The cheap path hashes the bytes as they pass into the store
 * (PATCH by PATCH, in offset order); whenever that chain breaks — a write that failed half-way, a
 * process restart, a PATCH that arrived at another process — the hash is recomputed by streaming
 * the finished object back from storage, so the result is always the hash of what is stored.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import type { DataStore } from '@tus/utils';

export interface SourceHashes {
  /** The hash of `[0, size)` if every byte of it passed through this process in order; else undefined. */
  takeComplete(uploadId: string, size: number): string | undefined;
  forget(uploadId: string): void;
}

interface Running {
  hash: Hash;
  /** Bytes hashed so far, which equals the bytes stored so far. */
  offset: number;
  /** Set while a write is in flight, so a concurrent write at the same offset is not hashed twice. */
  busy: boolean;
}

/** Enough for many concurrent uploads; an evicted one falls back to streaming. */
const MAX_TRACKED = 1_000;

/** Wraps `datastore.write` so bytes are hashed on their way into the store. */
export function trackSourceHashes(datastore: DataStore): SourceHashes {
  const running = new Map<string, Running>();
  const write = datastore.write.bind(datastore);

  datastore.write = async (stream, id, offset) => {
    let entry = running.get(id);
    if (offset === 0 && (entry === undefined || !entry.busy)) {
      entry = { hash: createHash('sha256'), offset: 0, busy: false };
      running.delete(id);
      running.set(id, entry);
      if (running.size > MAX_TRACKED) running.delete(running.keys().next().value as string);
    }
    if (entry === undefined || entry.busy || entry.offset !== offset) {
      running.delete(id);
      return write(stream, id, offset);
    }
    const tracked = entry;
    tracked.busy = true;
    let hashedBytes = 0;
    const tee = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        tracked.hash.update(chunk);
        hashedBytes += chunk.length;
        done(null, chunk);
      },
    });
    stream.on('error', (err) => tee.destroy(err));
    try {
      const newOffset = await write(stream.pipe(tee), id, offset);
      // The store may keep fewer bytes than it was handed (a cut connection): then the chain is broken.
      if (newOffset - offset === hashedBytes && running.get(id) === tracked) tracked.offset = newOffset;
      else running.delete(id);
      return newOffset;
    } catch (err) {
      running.delete(id);
      throw err;
    } finally {
      tracked.busy = false;
    }
  };

  return {
    takeComplete(uploadId, size) {
      const entry = running.get(uploadId);
      running.delete(uploadId);
      return entry !== undefined && !entry.busy && entry.offset === size
        ? entry.hash.digest('hex')
        : undefined;
    },
    forget(uploadId) {
      running.delete(uploadId);
    },
  };
}

/** SHA-256 (hex) and length of a stream read to its end. */
export async function hashStream(body: Readable): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const BASE64_SHA256 = /^[A-Za-z0-9+/_-]{43}=?$/;

/**
 * A client-declared SHA-256 (`Upload-Metadata sha256`) as lowercase hex: 64 hex digits, or the 32
 * bytes in base64/base64url (what `Upload-Checksum` uses). undefined when it is neither.
 */
export function normaliseSha256(declared: string): string | undefined {
  const value = declared.trim();
  if (HEX_SHA256.test(value)) return value.toLowerCase();
  if (BASE64_SHA256.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes.toString('hex');
  }
  return undefined;
}
