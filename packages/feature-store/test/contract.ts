import { eventually, uniqueName } from '@streamloop/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeatureStore, RankedMember } from '../src/feature-store.js';

/** Opens a store whose every key lives under `keyPrefix`; the caller owns cleanup of that prefix. */
export type MakeFeatureStore = (keyPrefix: string) => Promise<FeatureStore>;

const ranked = (member: string, score: number): RankedMember => ({ member, score });

/**
 * Inside a describe: a function that opens a store under a fresh prefix, so tests never see each
 * other's keys, and closes every store it opened after each test.
 */
export function useFreshStores(makeStore: MakeFeatureStore): () => Promise<FeatureStore> {
  const opened: FeatureStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  return async () => {
    const store = await makeStore(`${uniqueName('fs')}:`);
    opened.push(store);
    return store;
  };
}

/** The behaviour every FeatureStore adapter must share, so the in-memory default cannot drift from Redis. */
export function describeFeatureStoreContract(label: string, makeStore: MakeFeatureStore): void {
  describe(label, () => {
    const freshStore = useFreshStores(makeStore);

    it('round-trips a value, overwrites it, and answers null for a missing key', async () => {
      const store = await freshStore();
      await store.set('title:1:bitrate', '4500');
      expect(await store.get('title:1:bitrate')).toBe('4500');
      await store.set('title:1:bitrate', '3000');
      expect(await store.get('title:1:bitrate')).toBe('3000');
      expect(await store.get('title:missing')).toBeNull();
    });

    it('keeps unicode and empty values intact', async () => {
      const store = await freshStore();
      await store.set('émoji', '🎬 ladder ✓');
      await store.set('empty', '');
      expect(await store.get('émoji')).toBe('🎬 ladder ✓');
      expect(await store.get('empty')).toBe('');
    });

    it('expires a value after its TTL', async () => {
      const store = await freshStore();
      await store.set('session', 'warm', { ttlMs: 100 });
      await store.hset('profile', { views: 1 }, { ttlMs: 100 });
      await eventually('the value to expire', async () =>
        (await store.get('session')) === null ? true : undefined,
      );
      await eventually('the hash to expire', async () =>
        Object.keys(await store.hgetall('profile')).length === 0 ? true : undefined,
      );
      expect(await store.del('session', 'profile')).toBe(0);
    });

    it('reports the time left, and null for a key without expiry or without a key', async () => {
      const store = await freshStore();
      await store.set('with-ttl', 'v', { ttlMs: 60_000 });
      await store.set('without-ttl', 'v');
      const left = await store.ttlMs('with-ttl');
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(60_000);
      expect(await store.ttlMs('without-ttl')).toBeNull();
      expect(await store.ttlMs('missing')).toBeNull();
    });

    it('clears the expiry when a value is set again without a TTL (Redis SET semantics)', async () => {
      const store = await freshStore();
      await store.set('k', 'v1', { ttlMs: 60_000 });
      await store.set('k', 'v2');
      expect(await store.ttlMs('k')).toBeNull();
    });

    it('sets an expiry on an existing key and reports false for a missing one', async () => {
      const store = await freshStore();
      await store.zadd('trending', [ranked('video-a', 1)]);
      expect(await store.expire('trending', 60_000)).toBe(true);
      expect(await store.ttlMs('trending')).toBeGreaterThan(0);
      expect(await store.expire('missing', 60_000)).toBe(false);
      expect(await store.ttlMs('missing')).toBeNull();
    });

    it.each([
      ['zero', 0],
      ['negative', -5],
      ['fractional', 1.5],
      ['NaN', Number.NaN],
    ])('rejects a %s TTL before touching the data', async (_name, ttlMs) => {
      const store = await freshStore();
      await expect(store.set('k', 'v', { ttlMs })).rejects.toThrow(RangeError);
      await expect(store.expire('k', ttlMs)).rejects.toThrow(RangeError);
      expect(await store.get('k')).toBeNull();
    });

    it('merges hash fields, stringifying numbers, and answers {} for a missing hash', async () => {
      const store = await freshStore();
      await store.hset('ladder:title-1', { codec: 'h264', rungs: 4 });
      await store.hset('ladder:title-1', { rungs: 5, topKbps: 6000 });
      expect(await store.hgetall('ladder:title-1')).toEqual({ codec: 'h264', rungs: '5', topKbps: '6000' });
      expect(await store.hgetall('ladder:missing')).toEqual({});
    });

    it('writes a hash with its TTL together and keeps that TTL on later field writes', async () => {
      const store = await freshStore();
      await store.hset('viewer:1', { lastTitle: 't-9' }, { ttlMs: 60_000 });
      expect(await store.ttlMs('viewer:1')).toBeGreaterThan(0);
      await store.hset('viewer:1', { lastTitle: 't-10' });
      await store.hincrBy('viewer:1', 'plays', 1);
      expect(await store.ttlMs('viewer:1')).toBeGreaterThan(0);
      expect(await store.hgetall('viewer:1')).toEqual({ lastTitle: 't-10', plays: '1' });
    });

    it('reads one field, several fields in the order asked, and counts fields; missing reads as null and 0', async () => {
      const store = await freshStore();
      await store.hset('title:1', { codec: 'h264', rungs: 4, '🎬': 'émoji' });
      expect(await store.hget('title:1', 'codec')).toBe('h264');
      expect(await store.hget('title:1', '🎬')).toBe('émoji');
      expect(await store.hget('title:1', 'missing')).toBeNull();
      expect(await store.hget('title:missing', 'codec')).toBeNull();
      expect(await store.hmget('title:1', ['rungs', 'missing', 'codec', 'rungs'])).toEqual([
        '4',
        null,
        'h264',
        '4',
      ]);
      expect(await store.hmget('title:missing', ['codec', 'rungs'])).toEqual([null, null]);
      expect(await store.hmget('title:1', [])).toEqual([]);
      expect(await store.hlen('title:1')).toBe(3);
      expect(await store.hlen('title:missing')).toBe(0);
    });

    it('deletes hash fields, counting those that existed, and drops the hash with its last field', async () => {
      const store = await freshStore();
      await store.hset('viewer:1', { a: 1, b: 2, c: 3 }, { ttlMs: 60_000 });
      expect(await store.hdel('viewer:1', 'a', 'a', 'missing')).toBe(1);
      expect(await store.hdel('viewer:1')).toBe(0);
      expect(await store.hgetall('viewer:1')).toEqual({ b: '2', c: '3' });
      expect(await store.ttlMs('viewer:1')).toBeGreaterThan(0);
      expect(await store.hdel('viewer:1', 'b', 'c')).toBe(2);
      // Gone as a key, not an empty hash: a string may take its name and no expiry is left behind.
      expect(await store.ttlMs('viewer:1')).toBeNull();
      expect(await store.get('viewer:1')).toBeNull();
      expect(await store.hdel('viewer:missing', 'a')).toBe(0);
    });

    it('removes an expiry with persist, and reports false for a key without one or without a key', async () => {
      const store = await freshStore();
      await store.hset('version:1', { entity: 'row' }, { ttlMs: 60_000 });
      await store.set('pointer', '1');
      expect(await store.persist('version:1')).toBe(true);
      expect(await store.ttlMs('version:1')).toBeNull();
      expect(await store.hgetall('version:1')).toEqual({ entity: 'row' });
      expect(await store.persist('version:1')).toBe(false);
      expect(await store.persist('pointer')).toBe(false);
      expect(await store.persist('missing')).toBe(false);
    });

    it('increments hash counters, creating them at zero and accepting negative steps', async () => {
      const store = await freshStore();
      expect(await store.hincrBy('counts', 'plays', 5)).toBe(5);
      expect(await store.hincrBy('counts', 'plays', -2)).toBe(3);
      expect(await store.hgetall('counts')).toEqual({ plays: '3' });
      await expect(store.hincrBy('counts', 'plays', 0.5)).rejects.toThrow(RangeError);
    });

    it('counts exactly under 200 concurrent increments', async () => {
      const store = await freshStore();
      const results = await Promise.all(
        Array.from({ length: 200 }, () => store.hincrBy('title:7', 'starts', 1)),
      );
      expect(await store.hgetall('title:7')).toEqual({ starts: '200' });
      // Every caller saw a distinct intermediate value: no increment was lost or doubled.
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it('increments sorted-set scores and lets zadd overwrite them', async () => {
      const store = await freshStore();
      expect(await store.zincrBy('popular', 'video-a', 2)).toBe(2);
      expect(await store.zincrBy('popular', 'video-a', 0.5)).toBe(2.5);
      await store.zadd('popular', [ranked('video-a', 10), ranked('video-b', 0.1)]);
      expect(await store.ztop('popular', 10)).toEqual([ranked('video-a', 10), ranked('video-b', 0.1)]);
    });

    describe('ztop ordering', () => {
      const entries = [
        ranked('delta', 2),
        ranked('echo', 3),
        ranked('golf', 9),
        ranked('alpha', 1),
        ranked('charlie', 3),
        ranked('bravo', 3),
        ranked('foxtrot', -1.25),
      ];
      it.each([
        [1, ['golf']],
        [2, ['golf', 'bravo']],
        [3, ['golf', 'bravo', 'charlie']],
        [4, ['golf', 'bravo', 'charlie', 'echo']],
        [5, ['golf', 'bravo', 'charlie', 'echo', 'delta']],
        [10, ['golf', 'bravo', 'charlie', 'echo', 'delta', 'alpha', 'foxtrot']],
        [0, []],
      ])('limit %i → %j (highest first, ties by member ascending)', async (limit, expected) => {
        const store = await freshStore();
        await store.zadd('ranking', entries);
        const top = await store.ztop('ranking', limit);
        expect(top.map((e) => e.member)).toEqual(expected);
        for (const entry of top)
          expect(entry.score).toBe(entries.find((e) => e.member === entry.member)?.score);
      });

      it('orders tied members by code point, as Redis orders bytes', async () => {
        const store = await freshStore();
        // U+FF5E is above U+D83D in UTF-16 but below U+1F3AC in code points.
        await store.zadd('unicode', [ranked('🎬', 1), ranked('～', 1), ranked('Z', 1), ranked('a', 1)]);
        expect((await store.ztop('unicode', 3)).map((e) => e.member)).toEqual(['Z', 'a', '～']);
      });

      it('answers [] for a missing sorted set', async () => {
        const store = await freshStore();
        expect(await store.ztop('missing', 5)).toEqual([]);
      });
    });

    it('isolates stores with different key prefixes', async () => {
      const [first, second] = [await freshStore(), await freshStore()];
      await first.set('shared-name', 'first');
      await second.set('shared-name', 'second');
      await first.hset('h', { owner: 'first' });
      expect(await first.get('shared-name')).toBe('first');
      expect(await second.get('shared-name')).toBe('second');
      expect(await second.hgetall('h')).toEqual({});
      expect(await second.del('shared-name', 'h')).toBe(1);
      expect(await first.get('shared-name')).toBe('first');
    });

    it.each([
      [['a', 'b', 'missing'], 2],
      [['a', 'a'], 1],
      [['missing'], 0],
      [[], 0],
    ])('del(%j) reports %i deleted', async (keys, expected) => {
      const store = await freshStore();
      await store.set('a', '1');
      await store.hset('b', { f: 1 });
      expect(await store.del(...keys)).toBe(expected);
      expect(await store.get('a')).toBe(keys.includes('a') ? null : '1');
      expect(await store.hgetall('b')).toEqual(keys.includes('b') ? {} : { f: '1' });
    });

    it.each([
      ['get on a hash', (s: FeatureStore) => s.get('hash')],
      ['hgetall on a string', (s: FeatureStore) => s.hgetall('string')],
      ['zadd on a hash', (s: FeatureStore) => s.zadd('hash', [ranked('m', 1)])],
      ['hincrBy on a sorted set', (s: FeatureStore) => s.hincrBy('zset', 'f', 1)],
      ['hget on a string', (s: FeatureStore) => s.hget('string', 'f')],
      ['hmget on a sorted set', (s: FeatureStore) => s.hmget('zset', ['f'])],
      ['hlen on a string', (s: FeatureStore) => s.hlen('string')],
      ['hdel on a sorted set', (s: FeatureStore) => s.hdel('zset', 'f')],
    ])('rejects %s as the wrong type', async (_name, op) => {
      const store = await freshStore();
      await store.hset('hash', { f: 'v' });
      await store.set('string', 'v');
      await store.zadd('zset', [ranked('m', 1)]);
      await expect(op(store)).rejects.toThrow(/WRONGTYPE/);
    });

    it('answers ping while open', async () => {
      const store = await freshStore();
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.adapter.port).toBe('feature-store');
    });
  });
}
