import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DataStore } from '@tus/utils';
import { describe, expect, it } from 'vitest';
import { normaliseSha256, trackSourceHashes } from '../src/source-hash.js';

/** A store that keeps what it reads, or only the first `keep` bytes of a write (a cut connection). */
function fakeStore(): DataStore & { keep?: number } {
  const store = {
    keep: undefined as number | undefined,
    async write(stream: Readable, _id: string, offset: number) {
      let n = 0;
      for await (const chunk of stream) n += (chunk as Buffer).length;
      return offset + Math.min(n, store.keep ?? n);
    },
  };
  return store as unknown as DataStore & { keep?: number };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('trackSourceHashes', () => {
  it('hashes the bytes of in-order writes, and gives up (undefined) when a write kept fewer bytes than it read', async () => {
    const store = fakeStore();
    const hashes = trackSourceHashes(store);
    const bytes = randomBytes(3000);
    await store.write(Readable.from([bytes.subarray(0, 1000)]), 'a', 0);
    await store.write(Readable.from([bytes.subarray(1000)]), 'a', 1000);
    expect(hashes.takeComplete('a', 3000)).toBe(sha(bytes));

    await store.write(Readable.from([bytes.subarray(0, 1000)]), 'b', 0);
    store.keep = 10;
    await store.write(Readable.from([bytes.subarray(1000, 2000)]), 'b', 1000);
    store.keep = undefined;
    await store.write(Readable.from([bytes.subarray(1010)]), 'b', 1010);
    expect(hashes.takeComplete('b', 3000)).toBeUndefined();
  });

  it('accepts a declared SHA-256 as hex or base64, and nothing else', () => {
    const digest = createHash('sha256').update('x').digest();
    expect(normaliseSha256(digest.toString('hex').toUpperCase())).toBe(digest.toString('hex'));
    expect(normaliseSha256(digest.toString('base64'))).toBe(digest.toString('hex'));
    expect(normaliseSha256(digest.toString('base64url'))).toBe(digest.toString('hex'));
    expect(normaliseSha256('abc')).toBeUndefined();
  });
});
