import { createHash } from 'node:crypto';
import type { FeatureRow, FeatureSetName, FeatureSetVersion } from '@streamloop/core/features';
import { describe, expect, it } from 'vitest';
import {
  FEATURE_SET_SEQ_KEY,
  featureSetKeys,
  featureSetStatus,
  openLiveFeatureSet,
  type PublishFeatureSetOptions,
  publishFeatureSet,
  rollbackFeatureSet,
} from '../src/feature-sets.js';
import type { FeatureStore } from '../src/feature-store.js';
import { type MakeFeatureStore, useFreshStores } from './contract.js';
import {
  entityIds,
  entityOf,
  makeTitleFeatures,
  makeVersionedRow,
  versionedRows,
  versionOfRow,
} from './feature-rows.js';

const NOW_MS = Date.parse('2025-06-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const OPTIONS: PublishFeatureSetOptions = { newestSourceAt: iso(NOW_MS - 90_000), now: () => NOW_MS };
const title = featureSetKeys('title');

/**
 * The checksum FeatureSetVersion defines, computed here on its own: entities in UTF-8 byte order
 * (which is code-point order), `entity \t json \n` each.
 */
function expectedChecksum(set: FeatureSetName, rows: readonly FeatureRow<FeatureSetName>[]): string {
  const lines = rows
    .map((row) => ({ entity: Buffer.from(entityOf(set, row)), json: JSON.stringify(row) }))
    .sort((a, b) => Buffer.compare(a.entity, b.entity));
  const hash = createHash('sha256');
  for (const { entity, json } of lines) hash.update(`${entity}\t${json}\n`);
  return hash.digest('hex');
}

/**
 * One reader request: resolve the live version once, then read every entity (getMany, then get).
 * Fails when any row is missing or comes from another version than the one the request opened.
 */
async function readRequest(store: FeatureStore, entities: readonly string[]): Promise<number> {
  const live = await openLiveFeatureSet(store, 'title');
  if (live === null) throw new Error('the reader found nothing live');
  const rows = [...(await live.getMany(entities)), await live.get(entities[0]!)];
  const versions = new Set(rows.map((row) => (row === null ? 'missing' : versionOfRow('title', row))));
  expect([...versions]).toEqual([live.version.version]);
  return live.version.version;
}

/** Reader requests back to back until stopped; `nextRequest` resolves when another one has completed. */
function startReader(store: FeatureStore, entities: readonly string[]) {
  const seen: number[] = [];
  const waiting: (() => void)[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      seen.push(await readRequest(store, entities));
      for (const resolve of waiting.splice(0)) resolve();
    }
  })();
  const failed = loop.then(() => {
    throw new Error('the reader stopped');
  });
  failed.catch(() => {
    // Surfaced through nextRequest or stop.
  });
  return {
    seen,
    nextRequest: () => Promise.race([new Promise<void>((resolve) => waiting.push(resolve)), failed]),
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Yields the rows, waiting for `pause()` before every `every`-th one, so other work runs mid-publish. */
async function* pacedRows<T>(rows: readonly T[], every: number, pause: () => Promise<void>) {
  for (const [index, row] of rows.entries()) {
    if (index > 0 && index % every === 0) await pause();
    yield row;
  }
}

async function* rowsThenFail<T>(rows: readonly T[], bad: unknown, at: number) {
  for (const [index, row] of rows.entries()) yield (index === at ? bad : row) as T;
}

/** The rows of the live title version, all of them, and which version they say they are. */
async function readAllTitles(store: FeatureStore, entities: readonly string[]) {
  const live = await openLiveFeatureSet(store, 'title');
  const rows = (await live?.getMany(entities)) ?? [];
  return {
    version: live?.version.version,
    rowVersions: [...new Set(rows.map((row) => (row === null ? 'missing' : row.popularity.h1)))],
  };
}

/**
 * Versioned feature sets on one FeatureStore adapter: publish, read, roll back, retire, and what a
 * failed publish leaves behind. The suite runs on every adapter, as the port contract does.
 */
export function describeFeatureSets(label: string, makeStore: MakeFeatureStore): void {
  describe(label, () => {
    const freshStore = useFreshStores(makeStore);
    const publishTitles = (store: FeatureStore, version: number, entities: readonly string[], options = {}) =>
      publishFeatureSet(store, 'title', versionedRows('title', version, entities), {
        ...OPTIONS,
        ...options,
      });

    it.each(['title', 'viewer'] as const)(
      'publishes %s rows that a reader gets back, with rows, bytes, checksum and freshness in the status',
      async (set) => {
        const store = await freshStore();
        // Astral and BMP ids: code-point order differs from UTF-16 order for these.
        const rows = versionedRows(set, 1, [...entityIds(set, 4), '🎬-title', '～-title']);
        const published = await publishFeatureSet(store, set, rows, OPTIONS);

        expect(published).toEqual({
          set,
          version: 1,
          rows: 6,
          bytes: rows.reduce((sum, row) => sum + Buffer.byteLength(JSON.stringify(row)), 0),
          checksum: expectedChecksum(set, rows),
          publishedAt: iso(NOW_MS),
          newestSourceAt: iso(NOW_MS - 90_000),
        });
        const live = await openLiveFeatureSet(store, set);
        expect(live?.version).toEqual(published);
        expect(await live?.get(entityOf(set, rows[4]!))).toEqual(rows[4]);
        expect(await live?.get('missing')).toBeNull();
        expect(await live?.getMany([entityOf(set, rows[5]!), 'missing', entityOf(set, rows[0]!)])).toEqual([
          rows[5],
          null,
          rows[0],
        ]);
        expect(await featureSetStatus(store, set, () => NOW_MS + 30_000)).toEqual({
          set,
          live: published,
          previous: null,
          freshnessSeconds: 120,
        });
      },
    );

    it('has nothing live, and a status without versions, before the first publish', async () => {
      const store = await freshStore();
      expect(await openLiveFeatureSet(store, 'viewer')).toBeNull();
      expect(await featureSetStatus(store, 'viewer')).toEqual({
        set: 'viewer',
        live: null,
        previous: null,
        freshnessSeconds: null,
      });
    });

    it('keeps a request on the version it opened while a publish and a rollback swap the pointer', async () => {
      const store = await freshStore();
      const entities = entityIds('title', 20);
      await publishTitles(store, 1, entities);
      const openedOnV1 = await openLiveFeatureSet(store, 'title');
      await publishTitles(store, 2, entities);
      const openedOnV2 = await openLiveFeatureSet(store, 'title');
      await rollbackFeatureSet(store, 'title');

      const v1Rows = (await openedOnV1?.getMany(entities)) ?? [];
      const v2Rows = (await openedOnV2?.getMany(entities)) ?? [];
      expect(new Set(v1Rows.map((row) => row?.popularity.h1))).toEqual(new Set([1]));
      expect(new Set(v2Rows.map((row) => row?.popularity.h1))).toEqual(new Set([2]));
      expect((await openedOnV2?.get('video-7'))?.popularity.h1).toBe(2);
    });

    it('never mixes versions within a request while readers hammer a publish and a rollback', async () => {
      const store = await freshStore();
      const entities = entityIds('title', 300);
      await publishTitles(store, 1, entities, { chunkSize: 50 });
      const reader = startReader(store, entities);

      // Each chunk of v2 waits for a reader request, so requests run while v2 is half written.
      await publishFeatureSet(
        store,
        'title',
        pacedRows(versionedRows('title', 2, entities), 50, reader.nextRequest),
        { ...OPTIONS, chunkSize: 50 },
      );
      // The next request to complete may have opened before the swap; the one after it cannot have.
      await reader.nextRequest();
      await reader.nextRequest();
      const duringPublish = reader.seen.splice(0);

      // The rollback's pointer write waits for a reader request, so requests straddle the swap.
      const pausing: FeatureStore = {
        ...store,
        set: async (key, value, options) => {
          await reader.nextRequest();
          return store.set(key, value, options);
        },
      };
      await rollbackFeatureSet(pausing, 'title');
      await reader.nextRequest();
      await reader.nextRequest();
      await reader.stop();

      expect(duringPublish.slice(0, 5)).toEqual([1, 1, 1, 1, 1]);
      expect(duringPublish.at(-1)).toBe(2);
      expect(reader.seen[0]).toBe(2);
      expect(reader.seen.at(-1)).toBe(1);
      expect(await readRequest(store, entities)).toBe(1);
    });

    describe('a failed publish leaves the live version as it was and nothing of itself', () => {
      const entities = entityIds('title', 60);
      const good = (version: number) => versionedRows('title', version, entities);
      const badRow = makeTitleFeatures({
        videoId: 'video-25',
        popularity: { h1: -1, h24: 0, d7: 0, decayed: 0 },
      });
      const failAfter = (calls: number, real: FeatureStore['hset']): FeatureStore['hset'] => {
        let count = 0;
        return async (...args) => {
          if (++count > calls) throw new Error('stand-in fault: the store stopped taking writes');
          return real(...args);
        };
      };

      it.each<{
        name: string;
        rows: () => Iterable<FeatureRow<'title'>> | AsyncIterable<FeatureRow<'title'>>;
        fault?: (store: FeatureStore) => Partial<FeatureStore>;
        error: RegExp;
      }>([
        {
          name: 'a row failing validation in the middle of an async iterable',
          rows: () => rowsThenFail(good(3), badRow, 25),
          error: /writing rows.*row 25 \(videoId "video-25"\) is not a valid 'title' row: \/popularity\/h1/,
        },
        {
          name: 'the same entity twice',
          rows: () => [...good(3), makeVersionedRow('title', 'video-9', 3)],
          error: /row 60 \(videoId "video-9"\) repeats an entity/,
        },
        {
          name: 'no rows at all',
          rows: () => [],
          error: /no rows; an empty set would make every lookup miss/,
        },
        {
          // Stand-in: a real store failing on the third chunk cannot be caused on demand here
          // (the Redis-killed test does it for real on a private server).
          name: 'a store whose writes start failing mid-publish (stand-in fault)',
          rows: () => good(3),
          fault: (store) => ({ hset: failAfter(2, store.hset) }),
          error: /writing rows.*stand-in fault: the store stopped taking writes/,
        },
        {
          // Stand-in for a store that acknowledged a write it did not keep.
          name: 'a store that drops a row it acknowledged (stand-in fault)',
          rows: () => good(3),
          fault: (store) => ({
            hset: (key, fields, options) => {
              const { 'video-13': _dropped, ...kept } = fields;
              return store.hset(key, kept, options);
            },
          }),
          error: /verifying.*holds 59 rows after writing 60/,
        },
        {
          // Stand-in for a store that returns other bytes than it was given.
          name: 'a store that alters a row on the way back (stand-in fault)',
          rows: () => good(3),
          fault: (store) => ({
            hmget: async (key, fields) =>
              (await store.hmget(key, fields)).map((json) => json?.replace('"h24":40', '"h24":41') ?? null),
          }),
          error: /verifying.*reads back with checksum [0-9a-f]{64}, not the [0-9a-f]{64} written/,
        },
        {
          // Stand-in for a store failing after the record is written, just before the pointer.
          name: 'a store failing at the pointer write (stand-in fault)',
          rows: () => good(3),
          fault: () => ({
            set: async () => {
              throw new Error('stand-in fault: pointer write refused');
            },
          }),
          error: /going live.*stand-in fault: pointer write refused/,
        },
      ])('$name', async ({ rows, fault, error }) => {
        const store = await freshStore();
        await publishTitles(store, 1, entities);
        const previous = await publishTitles(store, 2, entities);
        const faulty: FeatureStore = { ...store, ...fault?.(store) };

        await expect(
          publishFeatureSet(faulty, 'title', rows(), { ...OPTIONS, chunkSize: 10 }),
        ).rejects.toThrow(error);

        expect(await store.hget(FEATURE_SET_SEQ_KEY, 'title')).toBe('3');
        expect(await store.hlen(title.version(3))).toBe(0);
        expect(Object.keys(await store.hgetall(title.meta)).sort()).toEqual(['previous', 'v1', 'v2']);
        expect(await readAllTitles(store, entities)).toEqual({ version: 2, rowVersions: [2] });
        expect(await store.ttlMs(title.version(2))).toBeNull();
        const status = await featureSetStatus(store, 'title');
        expect(status.live).toEqual(previous);
        expect(status.previous?.version).toBe(1);
      });

      it('keeps a version whose pointer write landed though its reply was lost, instead of deleting it under readers', async () => {
        const store = await freshStore();
        await publishTitles(store, 1, entities);
        // Stand-in for a reply lost on the way back: the write is applied, the caller gets an error.
        const lossy: FeatureStore = {
          ...store,
          set: async (key, value, options) => {
            await store.set(key, value, options);
            throw new Error('stand-in fault: connection reset before the reply');
          },
        };
        const published = await publishFeatureSet(lossy, 'title', good(2), OPTIONS);
        expect(published.version).toBe(2);
        expect(await readAllTitles(store, entities)).toEqual({ version: 2, rowVersions: [2] });
        expect(await featureSetStatus(store, 'title')).toMatchObject({
          live: published,
          previous: { version: 1 },
        });
      });

      it('writes part of the version before a mid-write failure, so the cleanup above is real', async () => {
        const store = await freshStore();
        await publishTitles(store, 1, entities);
        const seen: number[] = [];
        const watching: FeatureStore = {
          ...store,
          hset: async (key, fields, options) => {
            await store.hset(key, fields, options);
            if (key === title.version(2)) seen.push(await store.hlen(key));
          },
        };
        await expect(
          publishFeatureSet(watching, 'title', rowsThenFail(good(2), badRow, 25), {
            ...OPTIONS,
            chunkSize: 10,
          }),
        ).rejects.toThrow(/row 25/);
        expect(seen).toEqual([10, 20]);
        expect(await store.hlen(title.version(2))).toBe(0);
      });
    });

    it('rolls back to the previous version and forward again', async () => {
      const store = await freshStore();
      const entities = entityIds('title', 30);
      const v1 = await publishTitles(store, 1, entities);
      const v2 = await publishTitles(store, 2, entities);

      expect(await rollbackFeatureSet(store, 'title')).toEqual(v1);
      expect(await readAllTitles(store, entities)).toEqual({ version: 1, rowVersions: [1] });
      expect(await featureSetStatus(store, 'title')).toMatchObject({ live: v1, previous: v2 });

      expect(await rollbackFeatureSet(store, 'title')).toEqual(v2);
      expect(await readAllTitles(store, entities)).toEqual({ version: 2, rowVersions: [2] });
      expect(await featureSetStatus(store, 'title')).toMatchObject({ live: v2, previous: v1 });
    });

    it('refuses to roll back when there is no previous version, naming what to do instead', async () => {
      const store = await freshStore();
      await expect(rollbackFeatureSet(store, 'title')).rejects.toThrow(
        "feature set 'title' has no previous version to roll back to (live: none); publish a new version instead",
      );
      await publishTitles(store, 1, ['video-1']);
      await expect(rollbackFeatureSet(store, 'title')).rejects.toThrow(/no previous version.*\(live: v1\)/);
      expect(await readAllTitles(store, ['video-1'])).toEqual({ version: 1, rowVersions: [1] });
    });

    it('refuses to roll back to a previous version whose rows are gone, and keeps the live one', async () => {
      const store = await freshStore();
      await publishTitles(store, 1, ['video-1', 'video-2']);
      await publishTitles(store, 2, ['video-1', 'video-2']);
      await store.del(title.version(1)); // As if it had expired.
      await expect(rollbackFeatureSet(store, 'title')).rejects.toThrow(
        "cannot roll feature set 'title' back to v1: it has expired (0 of its 2 rows left); publish a new version instead",
      );
      expect(await readAllTitles(store, ['video-1', 'video-2'])).toEqual({ version: 2, rowVersions: [2] });
    });

    it('clears an expiry the previous version had been given when a rollback makes it live', async () => {
      const store = await freshStore();
      await publishTitles(store, 1, ['video-1']);
      await publishTitles(store, 2, ['video-1']);
      await store.expire(title.version(1), 60_000); // As a retire by a racing publisher would.
      await rollbackFeatureSet(store, 'title');
      expect(await store.ttlMs(title.version(1))).toBeNull();
      expect(await store.ttlMs(title.version(2))).toBeNull();
    });

    it('retires versions other than live and previous: they expire and leave the meta', async () => {
      const store = await freshStore();
      const entities = ['video-1', 'video-2'];
      for (const version of [1, 2, 3])
        await publishTitles(store, version, entities, { retireAfterMs: 120_000 });

      expect(await store.get(title.live)).toBe('3');
      expect(await store.hgetall(title.meta)).toMatchObject({ previous: '2' });
      expect(Object.keys(await store.hgetall(title.meta)).sort()).toEqual(['previous', 'v2', 'v3']);
      const retiredTtl = await store.ttlMs(title.version(1));
      expect(retiredTtl).toBeGreaterThan(0);
      expect(retiredTtl).toBeLessThanOrEqual(120_000);
      expect(await store.hlen(title.version(1))).toBe(2);
      expect(await store.ttlMs(title.version(2))).toBeNull();
      expect(await store.ttlMs(title.version(3))).toBeNull();

      // After a rollback (live v2, previous v3) a publish keeps v2 as previous and retires v3.
      await rollbackFeatureSet(store, 'title');
      await publishTitles(store, 4, entities);
      expect(Object.keys(await store.hgetall(title.meta)).sort()).toEqual(['previous', 'v2', 'v4']);
      expect(await store.ttlMs(title.version(3))).toBeGreaterThan(0);
      expect(await store.ttlMs(title.version(2))).toBeNull();
    });

    it('reports a stored row that fails its schema with the set, version and entity', async () => {
      const store = await freshStore();
      await publishTitles(store, 1, ['video-1', 'video-2']);
      const outOfRange = JSON.stringify(makeTitleFeatures({ videoId: 'video-1', completionRate: 2 }));
      await store.hset(title.version(1), { 'video-1': outOfRange, 'video-2': 'not json' });
      const live = await openLiveFeatureSet(store, 'title');
      await expect(live!.get('video-1')).rejects.toThrow(
        /^feature set 'title' v1 holds an invalid row for "video-1": \/completionRate: Expected number to be less or equal to 1; fix the job/,
      );
      await expect(live!.getMany(['video-2'])).rejects.toThrow(
        /^feature set 'title' v1 holds an invalid row for "video-2": \/: .*JSON/,
      );
    });

    it('gives concurrent publishers their own versions; the set ends whole on one of them', async () => {
      const store = await freshStore();
      const entities = entityIds('title', 40);
      const published = await Promise.all(
        [1, 2].map((marker) =>
          publishFeatureSet(store, 'title', versionedRows('title', marker * 100, entities), {
            ...OPTIONS,
            chunkSize: 10,
          }),
        ),
      );
      const versions = published.map((version: FeatureSetVersion) => version.version).sort();
      expect(versions).toEqual([1, 2]);
      const { version, rowVersions } = await readAllTitles(store, entities);
      const winner = published.find((p) => p.version === version);
      expect(rowVersions).toEqual([(published.indexOf(winner!) + 1) * 100]);
    });

    it.each([
      ['chunkSize 0', { chunkSize: 0 }, /chunkSize must be a positive integer/],
      ['a negative retireAfterMs', { retireAfterMs: -1 }, /ttlMs must be a positive integer/],
      ['a newestSourceAt that is not a date-time', { newestSourceAt: 'yesterday' }, /RFC 3339/],
    ])('refuses %s before writing anything', async (_name, options, error) => {
      const store = await freshStore();
      await expect(publishTitles(store, 1, ['video-1'], options)).rejects.toThrow(error);
      expect(await store.hget(FEATURE_SET_SEQ_KEY, 'title')).toBeNull();
    });
  });
}
