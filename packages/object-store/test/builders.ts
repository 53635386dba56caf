import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Deterministic pseudo-random bytes (xorshift), so a mismatch shows up anywhere in the object. */
export function makeBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Streams `bytes` in chunks the way a request body arrives, optionally failing after `failAfterBytes`. */
export function streamOf(
  bytes: Buffer,
  { chunkBytes = 64 * 1024, failAfterBytes }: { chunkBytes?: number; failAfterBytes?: number } = {},
): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
        if (failAfterBytes !== undefined && offset >= failAfterBytes) throw new Error('client went away');
        yield bytes.subarray(offset, offset + chunkBytes);
      }
    })(),
  );
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
