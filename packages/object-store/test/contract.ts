import { Readable } from 'node:stream';
import { uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidObjectKeyError, validateObjectKey, validatePrefix } from '../src/object-key.js';
import { type ObjectInfo, type ObjectStore, RangeNotSatisfiableError, readAll } from '../src/object-store.js';
import { makeBytes, sha256, streamOf } from './builders.js';

/** Opens the store under test; every call must reach the same objects (same bucket or folder). */
export type MakeObjectStore = (options?: { pageSize?: number }) => Promise<ObjectStore>;

const MIB = 1024 * 1024;

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const items: ObjectInfo[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** The rejection `validateObjectKey` gives; every adapter must give exactly this one. */
function expectedKeyError(key: string, validate = validateObjectKey): InvalidObjectKeyError {
  try {
    validate(key);
  } catch (err) {
    return err as InvalidObjectKeyError;
  }
  throw new Error(`expected ${JSON.stringify(key)} to be invalid`);
}

const HOSTILE_KEYS: [string, string][] = [
  ['empty', ''],
  ['absolute', '/etc/passwd'],
  ['parent segment', 'videos/../../etc/passwd'],
  ['only parent', '..'],
  ['dot segment', 'videos/./a'],
  ['empty segment', 'videos//a'],
  ['trailing slash', 'videos/a/'],
  ['backslash', 'videos\\..\\a'],
  ['NUL', 'videos/a\u0000.mp4'],
  ['newline', 'videos/a\n.mp4'],
  ['lone surrogate', 'videos/\uD800'],
  ['1025 bytes', `v/${'x'.repeat(1023)}`],
  ['1026 bytes of 2-byte chars', 'é'.repeat(513)],
  ['256-byte segment', `v/${'x'.repeat(256)}`],
];

/**
 * The behaviour every ObjectStore adapter must share, so the local folder cannot drift from S3.
 * Every test works under its own key prefix.
 */
export function describeObjectStoreContract(label: string, makeStore: MakeObjectStore): void {
  describe(label, () => {
    let store: ObjectStore;
    const prefixes: string[] = [];
    const fresh = (): string => {
      const prefix = uniqueName('t');
      prefixes.push(prefix);
      return prefix;
    };

    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      if (store === undefined) return;
      for (const prefix of prefixes) await store.deletePrefix(`${prefix}/`);
      await store.close();
    });

    it('round-trips bytes with their size, content type and cache control', async () => {
      const key = `${fresh()}/video/master.m3u8`;
      const bytes = makeBytes(4096, 7);
      const put = await store.put(key, bytes, {
        contentType: 'application/vnd.apple.mpegurl',
        cacheControl: 'max-age=60',
      });
      expect(put).toMatchObject({
        key,
        size: 4096,
        contentType: 'application/vnd.apple.mpegurl',
        cacheControl: 'max-age=60',
      });

      const got = await store.get(key);
      expect(got).toMatchObject({
        key,
        size: 4096,
        contentType: 'application/vnd.apple.mpegurl',
        cacheControl: 'max-age=60',
      });
      expect(got?.etag).toEqual(expect.any(String));
      expect(got?.lastModified).toBeInstanceOf(Date);
      expect((await readAll(got!.body)).equals(bytes)).toBe(true);
      expect(await store.head(key)).toMatchObject({
        key,
        size: 4096,
        etag: got?.etag,
        cacheControl: 'max-age=60',
      });
    });

    it.each([
      ['Buffer', () => Buffer.from('hello, world')],
      ['Uint8Array view with an offset', () => new TextEncoder().encode('xxhello, world').subarray(2)],
      ['string', () => 'hello, world'],
      ['Readable', () => Readable.from([Buffer.from('hello, '), Buffer.from('world')])],
    ])('accepts a %s body', async (_name, body) => {
      const key = `${fresh()}/greeting.txt`;
      const source = body();
      const put = await store.put(key, source, { contentType: 'text/plain' });
      expect(put.size).toBe(12);
      expect((await store.getBuffer(key))?.toString('utf8')).toBe('hello, world');
    });

    it('stores strings as UTF-8 and defaults the content type to application/octet-stream', async () => {
      const key = `${fresh()}/title.txt`;
      expect(await store.put(key, 'Café 🎬')).toMatchObject({
        size: 10,
        contentType: 'application/octet-stream',
      });
      expect((await store.head(key))?.contentType).toBe('application/octet-stream');
      expect((await store.getBuffer(key))?.toString('utf8')).toBe('Café 🎬');
    });

    it('round-trips an empty object', async () => {
      const key = `${fresh()}/empty`;
      expect((await store.put(key, Buffer.alloc(0))).size).toBe(0);
      expect(await store.getBuffer(key)).toEqual(Buffer.alloc(0));
      expect((await store.head(key))?.size).toBe(0);
    });

    it('replaces an object on overwrite: bytes, size, content type, cache control and etag', async () => {
      const key = `${fresh()}/thumb.jpg`;
      const first = await store.put(key, 'first version', {
        contentType: 'text/plain',
        cacheControl: 'no-store',
      });
      const second = await store.put(key, '{"v":2}', { contentType: 'application/json' });
      expect(second.etag).not.toBe(first.etag);
      expect((await store.getBuffer(key))?.toString()).toBe('{"v":2}');
      const head = await store.head(key);
      expect(head).toMatchObject({ size: 7, contentType: 'application/json', etag: second.etag });
      expect(head?.cacheControl).toBeUndefined();
    });

    it('answers null for a missing object from get, getBuffer and head', async () => {
      const key = `${fresh()}/missing.ts`;
      expect(await store.get(key)).toBeNull();
      expect(await store.get(key, { start: 0, end: 10 })).toBeNull();
      expect(await store.getBuffer(key)).toBeNull();
      expect(await store.head(key)).toBeNull();
    });

    describe('range reads', () => {
      const bytes = makeBytes(1000, 3);
      let key: string;
      beforeAll(async () => {
        key = `${fresh()}/segment.m4s`;
        await store.put(key, bytes, { contentType: 'video/iso.segment' });
      });

      it.each([
        ['first byte', { start: 0, end: 0 }, { start: 0, end: 0 }],
        ['a middle slice', { start: 10, end: 19 }, { start: 10, end: 19 }],
        ['an open-ended tail', { start: 990 }, { start: 990, end: 999 }],
        ['an end past the object (clamped)', { start: 995, end: 5000 }, { start: 995, end: 999 }],
        ['the whole object', { start: 0, end: 999 }, { start: 0, end: 999 }],
      ])('serves %s', async (_name, range, served) => {
        const got = await store.get(key, range);
        expect(got).toMatchObject({ size: 1000, range: served, contentType: 'video/iso.segment' });
        expect((await readAll(got!.body)).equals(bytes.subarray(served.start, served.end + 1))).toBe(true);
      });

      it('refuses a range that starts at or past the end, telling the size (HTTP 416)', async () => {
        const error = await store.get(key, { start: 1000 }).catch((err: unknown) => err);
        expect(error).toBeInstanceOf(RangeNotSatisfiableError);
        expect((error as RangeNotSatisfiableError).size).toBe(1000);
      });

      it.each([
        ['a negative start', { start: -1 }],
        ['an end before the start', { start: 5, end: 4 }],
        ['a fractional start', { start: 1.5 }],
      ])('rejects %s as a programming error', async (_name, range) => {
        await expect(store.get(key, range)).rejects.toThrow(RangeError);
      });
    });

    it('streams a multi-megabyte Readable in (multipart on S3) and reads it back intact', async () => {
      const key = `${fresh()}/source.mp4`;
      const bytes = makeBytes(13 * MIB, 11);
      const put = await store.put(key, streamOf(bytes), { contentType: 'video/mp4' });
      expect(put).toMatchObject({ size: 13 * MIB, contentType: 'video/mp4' });
      expect((await store.head(key))?.size).toBe(13 * MIB);
      expect(sha256((await store.getBuffer(key))!)).toBe(sha256(bytes));
      // Across the 5 MiB part boundary, where a multipart assembly mistake would show.
      const start = 5 * MIB - 100;
      const got = await store.get(key, { start, end: start + 199 });
      expect((await readAll(got!.body)).equals(bytes.subarray(start, start + 200))).toBe(true);
    });

    it('keeps the previous object when a streamed overwrite fails midway', async () => {
      const key = `${fresh()}/source.mp4`;
      await store.put(key, 'the good version');
      const failing = streamOf(makeBytes(7 * MIB, 5), { failAfterBytes: 6 * MIB });
      await expect(store.put(key, failing)).rejects.toThrow('client went away');
      expect((await store.getBuffer(key))?.toString()).toBe('the good version');
      expect(await collect(store.list(key))).toHaveLength(1);
    });

    describe('listing', () => {
      // Byte order: '-' (2D) < '.' (2E) < '/' (2F) < digits; z < ü (FC) < 🎬 (1F3AC). Keys mixing astral
      // characters with U+E000–U+FFFF are left out on purpose: AWS orders them by UTF-8 bytes, S3Proxy
      // by UTF-16 units, and the local folder follows AWS.
      const names = ['b', 'c/🎬', 'a/2', 'a/10', 'a.txt', 'c/z', 'a-1', 'a/1/x', 'c/ü'];
      const sorted = ['a-1', 'a.txt', 'a/1/x', 'a/10', 'a/2', 'b', 'c/z', 'c/ü', 'c/🎬'];
      let base: string;
      beforeAll(async () => {
        base = fresh();
        await Promise.all(names.map((name, i) => store.put(`${base}/${name}`, makeBytes(i + 1, i + 1))));
        // Same leading characters, different folder: must not leak into `${base}/` listings.
        await store.put(`${base}x/a-1`, 'neighbour');
      });

      it('lists every key under a folder prefix in byte order, with sizes, across pages', async () => {
        const paged = await makeStore({ pageSize: 2 });
        try {
          const items = await collect(paged.list(`${base}/`));
          expect(items.map((item) => item.key)).toEqual(sorted.map((name) => `${base}/${name}`));
          const sizes = Object.fromEntries(items.map((item) => [item.key.slice(base.length + 1), item.size]));
          expect(sizes).toEqual(Object.fromEntries(names.map((name, i) => [name, i + 1])));
        } finally {
          await paged.close();
        }
      });

      it.each([
        ['a partial name', 'a', ['a-1', 'a.txt', 'a/1/x', 'a/10', 'a/2']],
        ['a sub-folder', 'a/', ['a/1/x', 'a/10', 'a/2']],
        ['a partial name in a sub-folder', 'a/1', ['a/1/x', 'a/10']],
        ['a full key', 'b', ['b']],
        ['nothing matching', 'zz', []],
      ])('scopes a listing to %s', async (_name, rest, expected) => {
        const items = await collect(store.list(`${base}/${rest}`));
        expect(items.map((item) => item.key)).toEqual(expected.map((name) => `${base}/${name}`));
      });
    });

    it('deletes idempotently, leaving sibling objects alone', async () => {
      const base = fresh();
      await store.put(`${base}/a/1`, 'one');
      await store.put(`${base}/a/2`, 'two');
      await store.delete(`${base}/a/1`);
      await store.delete(`${base}/a/1`);
      await store.delete(`${base}/never-existed`);
      expect(await store.head(`${base}/a/1`)).toBeNull();
      expect((await collect(store.list(`${base}/`))).map((item) => item.key)).toEqual([`${base}/a/2`]);
      // The folder a deleted object leaves behind can hold an object of that name.
      await store.delete(`${base}/a/2`);
      await store.put(`${base}/a`, 'now a file');
      expect((await store.getBuffer(`${base}/a`))?.toString()).toBe('now a file');
    });

    it('deletes everything under a prefix across pages and reports how many', async () => {
      const base = fresh();
      const doomed = ['x/1', 'x/2', 'x/deep/3', 'x/deep/er/4', 'x/5'];
      await Promise.all(doomed.map((name) => store.put(`${base}/${name}`, name)));
      await store.put(`${base}/x-keep`, 'sibling by text, not by folder');
      await store.put(`${base}/y/keep`, 'other folder');
      const paged = await makeStore({ pageSize: 2 });
      try {
        expect(await paged.deletePrefix(`${base}/x/`)).toBe(5);
        expect(await paged.deletePrefix(`${base}/x/`)).toBe(0);
      } finally {
        await paged.close();
      }
      expect((await collect(store.list(`${base}/`))).map((item) => item.key)).toEqual([
        `${base}/x-keep`,
        `${base}/y/keep`,
      ]);
    });

    it('refuses to delete with an empty prefix', async () => {
      await expect(store.deletePrefix('')).rejects.toThrow(InvalidObjectKeyError);
    });

    describe('hostile keys', () => {
      it.each(HOSTILE_KEYS)(
        'rejects a key with %s in every operation, with the same error',
        async (_name, key) => {
          const expected = expectedKeyError(key);
          for (const attempt of [
            () => store.put(key, 'x'),
            () => store.get(key),
            () => store.getBuffer(key),
            () => store.head(key),
            () => store.delete(key),
          ]) {
            const error = await attempt().catch((err: unknown) => err);
            expect(error).toBeInstanceOf(InvalidObjectKeyError);
            expect((error as Error).message).toBe(expected.message);
          }
        },
      );

      it.each([
        ['absolute', '/etc'],
        ['parent segment', 'videos/../'],
        ['trailing parent', 'videos/..'],
        ['backslash', 'videos\\'],
        ['NUL', 'vid\u0000'],
      ])('rejects a %s prefix for list and deletePrefix', async (_name, prefix) => {
        const expected = expectedKeyError(prefix, validatePrefix);
        await expect(collect(store.list(prefix))).rejects.toThrow(expected.message);
        await expect(store.deletePrefix(prefix)).rejects.toThrow(expected.message);
      });

      it.each([
        ['dots inside names', 'a/.hidden/..b/c..'],
        ['URL-significant characters', "q?x=1&y=2#frag%20+;'!*()[]"],
        ['spaces and non-ASCII', 'Vidéos du jour/é 🎬.mp4'],
      ])('accepts a key with %s', async (_name, name) => {
        const base = fresh();
        const key = `${base}/${name}`;
        await store.put(key, 'ok');
        expect((await store.getBuffer(key))?.toString()).toBe('ok');
        expect((await collect(store.list(`${base}/`))).map((item) => item.key)).toEqual([key]);
      });
    });

    it('accepts a key of exactly 1024 bytes', async () => {
      const base = fresh();
      let key = base;
      while (key.length < 1024) key += key.length % 200 === 0 ? '/' : 'k';
      key = `${key.slice(0, 1023)}k`;
      expect(Buffer.byteLength(key)).toBe(1024);
      await store.put(key, 'at the limit');
      expect((await store.getBuffer(key))?.toString()).toBe('at the limit');
    });

    it('answers ping and describes itself', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.adapter.port).toBe('object-store');
    });
  });
}
