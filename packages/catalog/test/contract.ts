import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import { makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, CatalogConflictError } from '../src/catalog.js';
import { listMigrations } from '../src/migrate.js';
import { claimUnpublishedOutbox, enqueueOutbox, markOutboxPublished } from '../src/outbox-repository.js';
import {
  deleteVideo,
  getVideo,
  getVideos,
  insertVideo,
  isPubliclyPlayable,
  listVideos,
  type NewVideo,
  newVideoId,
  PUBLICLY_PLAYABLE_SQL,
  patchVideo,
  updateVideoStatus,
  type VideoRecord,
} from '../src/video-repository.js';
import { describeAlerts } from './alerts.contract.js';
import { describeKeysAndUploads } from './api-keys.contract.js';
import { describeExperiments } from './experiments.contract.js';
import { describeLadders } from './ladders.contract.js';
import { describeLifecycleAndTags } from './lifecycle-events.contract.js';
import { describePlaybackRestrictions } from './playback-restrictions.contract.js';
import { describeVideoLadders } from './video-ladders.contract.js';

export interface CatalogUnderTest {
  catalog: Catalog;
  /** False for PGlite: one connection, transactions take turns instead of overlapping. */
  concurrentTransactions: boolean;
  teardown(): Promise<void>;
}

/** A fresh, unmigrated catalog per call (a new database or data directory). */
export type OpenCatalog = () => Promise<CatalogUnderTest>;

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function describeCatalogContract(label: string, open: OpenCatalog): void {
  describe(label, () => {
    let under: CatalogUnderTest;
    let catalog: Catalog;
    let firstMigrations: string[][];

    beforeAll(async () => {
      under = await open();
      catalog = under.catalog;
      // Two racing migrators, as two processes starting at once would be.
      firstMigrations = await Promise.all([catalog.migrate(), catalog.migrate()]);
    });
    afterAll(async () => {
      await under?.teardown();
    });

    // Distinct owner per test keeps listings isolated in the shared database.
    const makeVideo = (overrides: Partial<NewVideo> = {}): NewVideo => ({
      id: newVideoId(),
      title: 'Untitled',
      description: '',
      owner: uniqueName('owner'),
      ...overrides,
    });

    describe('migrations', () => {
      it('racing migrators apply every migration exactly once, in order', async () => {
        const all = (await listMigrations()).map((m) => m.name);
        expect(all).toEqual([
          '001_videos',
          '002_outbox',
          '003_video_tags',
          '004_api_keys',
          '005_multipart_uploads',
          '010_transcode_attempts',
          '011_video_keys',
          '012_job_runs',
          '013_playback_restrictions',
          '014_ladders',
          '015_video_ladders',
          '016_experiments',
          '017_alerts',
          '018_views_scope',
        ]);
        expect([...firstMigrations[0]!, ...firstMigrations[1]!].sort()).toEqual(all);
      });

      it('a second run applies nothing', async () => {
        expect(await catalog.migrate()).toEqual([]);
      });
    });

    describe('getVideos', () => {
      it('answers the videos that exist among the ids asked, in one query, and nothing for none', async () => {
        const [a, b] = [makeVideo(), makeVideo()];
        await insertVideo(catalog, a);
        await insertVideo(catalog, b);
        const found = await getVideos(catalog, [b.id!, 'vid_missing0000000000', a.id!, a.id!]);
        expect(found.map((video) => video.id).sort()).toEqual([a.id, b.id].sort());
        expect(await getVideos(catalog, [])).toEqual([]);
      });

      it('picks the same publicly playable videos by SQL and by record', async () => {
        const owner = uniqueName('owner');
        const kinds = [
          { title: 'playable', status: 'ready', playbackPolicy: 'public', ladder: makeLadderRecord() },
          { title: 'signed', status: 'ready', playbackPolicy: 'signed', ladder: makeLadderRecord() },
          { title: 'no ladder', status: 'ready', playbackPolicy: 'public' },
          { title: 'processing', status: 'processing', playbackPolicy: 'public', ladder: makeLadderRecord() },
        ] as const;
        const ids: string[] = [];
        for (const kind of kinds) ids.push((await insertVideo(catalog, makeVideo({ ...kind, owner }))).id);
        const bySql = await catalog.query<{ title: string }>(
          `SELECT title FROM videos WHERE owner = $1 AND ${PUBLICLY_PLAYABLE_SQL}`,
          [owner],
        );
        const byRecord = (await getVideos(catalog, ids)).filter(isPubliclyPlayable);
        expect(bySql.map((row) => row.title)).toEqual(['playable']);
        expect(byRecord.map((video) => video.title)).toEqual(['playable']);
      });
    });

    describe('transactions', () => {
      it('makes committed writes visible', async () => {
        const video = makeVideo();
        const returned = await catalog.transaction(async (tx) => {
          await insertVideo(tx, video);
          return 'done';
        });
        expect(returned).toBe('done');
        expect((await getVideo(catalog, video.id!))?.id).toBe(video.id);
      });

      it('rolls back every write when the callback throws, and rethrows its error', async () => {
        const video = makeVideo();
        const boom = new Error('boom');
        await expect(
          catalog.transaction(async (tx) => {
            await insertVideo(tx, video);
            await enqueueOutbox(tx, { topic: 't', key: video.id!, payload: {} });
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await getVideo(catalog, video.id!)).toBeUndefined();
      });

      it('reports a duplicate id as CatalogConflictError, outside and inside a transaction', async () => {
        const video = makeVideo();
        await insertVideo(catalog, video);
        await expect(insertVideo(catalog, video)).rejects.toBeInstanceOf(CatalogConflictError);
        const err = await catalog.transaction((tx) => insertVideo(tx, video)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CatalogConflictError);
        expect(err).toMatchObject({ code: 'ERR_CONFLICT', status: 409, constraint: 'videos_pkey' });
      });

      it('passes other database errors through unchanged', async () => {
        const err = await catalog.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
        expect(err).not.toBeInstanceOf(CatalogConflictError);
        expect(err).toMatchObject({ code: '42P01' });
      });
    });

    describe('videos', () => {
      it('round-trips a video with camelCase fields, ISO timestamps and its ladder record', async () => {
        const ladder = makeLadderRecord({ ladderId: 'per-title-7', ladderVersion: 3 });
        const inserted = await insertVideo(
          catalog,
          makeVideo({
            title: 'Round trip',
            filename: 'a.mp4',
            durationMs: 9_007_199_254,
            ladder,
            playbackPolicy: 'signed',
          }),
        );
        const read = await getVideo(catalog, inserted.id);
        expect(read).toEqual(inserted);
        expect(read).toMatchObject({
          title: 'Round trip',
          description: '',
          filename: 'a.mp4',
          status: 'waiting_upload',
          error: null,
          progressPercent: null,
          playbackPolicy: 'signed',
          durationMs: 9_007_199_254,
          ladder,
        });
        expect(read?.createdAt).toMatch(ISO_MS);
        expect(read?.updatedAt).toMatch(ISO_MS);
      });

      it('keeps a record made before DASH and thumbnails, and null as no ladder', async () => {
        const { dash: _dash, thumbnails: _thumbnails, ...older } = makeLadderRecord();
        const a = await insertVideo(catalog, makeVideo({ ladder: older }));
        const c = await insertVideo(catalog, makeVideo({ ladder: null }));
        expect((await getVideo(catalog, a.id))?.ladder).toEqual(older);
        expect((await getVideo(catalog, c.id))?.ladder).toBeNull();
      });

      const invalidRecords: { what: string; ladder: unknown; path: string }[] = [
        { what: 'a JSON string', ladder: 'just a string', path: '/' },
        {
          what: 'a record without renditions',
          ladder: { ...makeLadderRecord(), renditions: [] },
          path: '/renditions',
        },
        {
          what: 'a path leaving the video folder',
          ladder: makeLadderRecord({ dash: '../other/manifest.mpd' }),
          path: '/dash',
        },
        {
          what: 'a renamed field',
          ladder: { ...makeLadderRecord(), master: undefined, hls: 'default/master.m3u8' },
          path: '/master',
        },
      ];
      for (const { what, ladder, path } of invalidRecords) {
        it(`refuses ${what} as a ladder record and stores nothing`, async () => {
          const video = makeVideo({ ladder: ladder as LadderRecord });
          const err = await insertVideo(catalog, video).catch((e: unknown) => e);
          expect(err).toMatchObject({ code: 'ERR_INVALID_LADDER_RECORD' });
          expect((err as Error).message).toContain(`invalid ladder record: ${path}`);
          expect(await getVideo(catalog, video.id!)).toBeUndefined();

          const stored = await insertVideo(catalog, makeVideo());
          const patchErr = await patchVideo(catalog, stored.id, {
            title: 'x',
            ladder: ladder as LadderRecord,
          }).catch((e: unknown) => e);
          expect(patchErr).toMatchObject({ code: 'ERR_INVALID_LADDER_RECORD' });
          expect(await getVideo(catalog, stored.id)).toMatchObject({ title: 'Untitled', ladder: null });
        });
      }

      it('generates url-safe ids of at least 16 characters', () => {
        const ids = new Set(Array.from({ length: 100 }, newVideoId));
        expect(ids.size).toBe(100);
        for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      });

      it('patches only the given fields and moves updatedAt', async () => {
        const video = await insertVideo(catalog, makeVideo({ title: 'Before', description: 'keep me' }));
        const ladder = makeLadderRecord();
        const patched = await patchVideo(catalog, video.id, { title: 'After', ladder });
        expect(patched).toMatchObject({ title: 'After', description: 'keep me', ladder });
        expect(Date.parse(patched!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(video.updatedAt));
        expect(await patchVideo(catalog, 'missing-video-id', { title: 'x' })).toBeUndefined();
      });

      it('deletes a video once', async () => {
        const video = await insertVideo(catalog, makeVideo());
        expect(await deleteVideo(catalog, video.id)).toBe(true);
        expect(await deleteVideo(catalog, video.id)).toBe(false);
        expect(await getVideo(catalog, video.id)).toBeUndefined();
      });
    });

    describe('status transitions', () => {
      const cases: { from: VideoRecord['status']; to: VideoRecord['status']; changes: boolean }[] = [
        { from: 'waiting_upload', to: 'uploaded', changes: true },
        { from: 'waiting_upload', to: 'failed', changes: true },
        { from: 'waiting_upload', to: 'ready', changes: false },
        { from: 'uploaded', to: 'processing', changes: true },
        { from: 'uploaded', to: 'uploaded', changes: false },
        { from: 'processing', to: 'processing', changes: true },
        { from: 'processing', to: 'ready', changes: true },
        { from: 'processing', to: 'failed', changes: true },
        { from: 'ready', to: 'processing', changes: false },
        { from: 'ready', to: 'failed', changes: false },
        { from: 'failed', to: 'processing', changes: true },
        { from: 'failed', to: 'ready', changes: false },
      ];
      it.each(cases)('$from → $to changes: $changes', async ({ from, to, changes }) => {
        const video = await insertVideo(catalog, makeVideo({ status: from }));
        expect(await updateVideoStatus(catalog, video.id, { status: to, error: 'why' })).toBe(changes);
        expect((await getVideo(catalog, video.id))?.status).toBe(changes ? to : from);
      });

      it('records progress while processing, 100 at ready, and the error only while failed', async () => {
        const video = await insertVideo(catalog, makeVideo({ status: 'uploaded' }));
        await updateVideoStatus(catalog, video.id, { status: 'processing' });
        expect((await getVideo(catalog, video.id))?.progressPercent).toBe(0);
        await updateVideoStatus(catalog, video.id, { status: 'processing', progressPercent: 42.5 });
        expect((await getVideo(catalog, video.id))?.progressPercent).toBe(42.5);
        await updateVideoStatus(catalog, video.id, { status: 'failed', error: 'ffmpeg exited with 1' });
        expect(await getVideo(catalog, video.id)).toMatchObject({
          status: 'failed',
          error: 'ffmpeg exited with 1',
        });
        await updateVideoStatus(catalog, video.id, { status: 'processing' });
        await updateVideoStatus(catalog, video.id, { status: 'ready' });
        expect(await getVideo(catalog, video.id)).toMatchObject({
          status: 'ready',
          error: null,
          progressPercent: 100,
        });
      });

      it('returns false for an unknown video', async () => {
        expect(await updateVideoStatus(catalog, 'no-such-video', { status: 'uploaded' })).toBe(false);
      });
    });

    describe('search', () => {
      let owner: string;
      let ids: Record<'titleHit' | 'descriptionHit' | 'other' | 'prefix', string>;
      beforeAll(async () => {
        owner = uniqueName('search');
        const add = async (title: string, description: string) =>
          (await insertVideo(catalog, makeVideo({ owner, title, description }))).id;
        ids = {
          descriptionHit: await add('Holiday clip', 'Waves crashing at the surfing contest'),
          titleHit: await add('Surfing in Portugal', 'A day at the beach'),
          other: await add('Cooking pasta', 'Tomatoes and basil'),
          prefix: await add('Big Buck Bunny', 'An open movie'),
        };
      });
      const search = async (q: string) =>
        (await listVideos(catalog, { owner, q, limit: 10 })).videos.map((v) => v.id);

      it('finds words in title and description and ranks title matches first', async () => {
        expect(await search('surfing')).toEqual([ids.titleHit, ids.descriptionHit]);
      });

      it('matches word forms (stemming) and web-search syntax', async () => {
        expect(await search('surf')).toEqual([ids.titleHit, ids.descriptionHit]);
        expect(await search('surfing -portugal')).toEqual([ids.descriptionHit]);
        expect(await search('"pasta" or basil')).toEqual([ids.other]);
      });

      it('matches word prefixes for short queries (search as you type)', async () => {
        expect(await search('bun')).toEqual([ids.prefix]);
        expect(await search('big bu')).toEqual([ids.prefix]);
      });

      it('finds nothing for words that are absent', async () => {
        expect(await search('submarine')).toEqual([]);
      });
    });

    describe('keyset pagination', () => {
      it('walks every video exactly once, newest first, even while new ones arrive', async () => {
        const owner = uniqueName('pages');
        const inserted: string[] = [];
        for (let i = 0; i < 4; i++)
          inserted.push((await insertVideo(catalog, makeVideo({ owner, title: `v${i}` }))).id);
        // Same transaction, same created_at: the id breaks the tie.
        await catalog.transaction(async (tx) => {
          for (let i = 4; i < 7; i++)
            inserted.push((await insertVideo(tx, makeVideo({ owner, title: `v${i}` }))).id);
        });
        const everything = (await listVideos(catalog, { owner, limit: 100 })).videos;
        expect(everything.map((v) => v.id).sort()).toEqual([...inserted].sort());
        for (let i = 1; i < everything.length; i++) {
          const [a, b] = [everything[i - 1]!, everything[i]!];
          expect(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id)).toBe(true);
        }

        const walked: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await listVideos(catalog, { owner, limit: 3, cursor });
          walked.push(...page.videos.map((v) => v.id));
          if (pages === 0) await insertVideo(catalog, makeVideo({ owner, title: 'late arrival' }));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor !== undefined);
        expect(walked).toEqual(everything.map((v) => v.id));
        expect(pages).toBe(3);
      });

      it('paginates ranked search results without repeats', async () => {
        const owner = uniqueName('rankpages');
        for (let i = 0; i < 5; i++) {
          await insertVideo(
            catalog,
            makeVideo({ owner, title: i % 2 ? 'kite kite' : 'kite', description: `kite ${i}` }),
          );
        }
        const all = (await listVideos(catalog, { owner, q: 'kite', limit: 100 })).videos.map((v) => v.id);
        const walked: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await listVideos(catalog, { owner, q: 'kite', limit: 2, cursor });
          walked.push(...page.videos.map((v) => v.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        expect(all).toHaveLength(5);
        expect(walked).toEqual(all);
      });

      it('filters by status and refuses a forged cursor or an out-of-range limit', async () => {
        const owner = uniqueName('filter');
        const ready = await insertVideo(catalog, makeVideo({ owner, status: 'ready' }));
        await insertVideo(catalog, makeVideo({ owner }));
        expect(
          (await listVideos(catalog, { owner, status: 'ready', limit: 10 })).videos.map((v) => v.id),
        ).toEqual([ready.id]);
        await expect(listVideos(catalog, { owner, limit: 10, cursor: 'not-a-cursor' })).rejects.toMatchObject(
          {
            code: 'ERR_VALIDATION',
          },
        );
        await expect(listVideos(catalog, { owner, limit: 0 })).rejects.toMatchObject({
          code: 'ERR_VALIDATION',
        });
      });
    });

    describe('outbox', () => {
      const drain = async () => {
        // Earlier tests may leave messages; publish them so each test starts empty.
        await catalog.transaction(async (tx) =>
          markOutboxPublished(
            tx,
            (await claimUnpublishedOutbox(tx, 1000)).map((m) => m.id),
          ),
        );
      };

      it('keeps a message only when its transaction commits, with its JSON payload intact', async () => {
        await drain();
        const payload = { event: 'transcode.job.v1', attempt: 1, nested: { list: [1, 2, null], text: 'ü' } };
        const key = newVideoId();
        await catalog.transaction((tx) => enqueueOutbox(tx, { topic: 'transcode-jobs', key, payload }));
        await catalog
          .transaction(async (tx) => {
            await enqueueOutbox(tx, { topic: 'transcode-jobs', key: 'rolled-back', payload });
            throw new Error('abort');
          })
          .catch(() => undefined);
        const claimed = await catalog.transaction((tx) => claimUnpublishedOutbox(tx, 10));
        expect(claimed).toHaveLength(1);
        expect(claimed[0]).toMatchObject({ topic: 'transcode-jobs', key, payload });
        expect(claimed[0]!.createdAt).toMatch(ISO_MS);
      });

      it('hands a message to one claimer only, and never again once published', async () => {
        await drain();
        const keys = Array.from({ length: 6 }, () => newVideoId());
        for (const key of keys) await enqueueOutbox(catalog, { topic: 't', key, payload: { key } });

        const claimed: string[][] = under.concurrentTransactions
          ? await claimWhileAnotherHoldsLocks(catalog)
          : await Promise.all([claimAndPublish(catalog, 3), claimAndPublish(catalog, 3)]);

        expect(claimed[0]).toHaveLength(3);
        expect(claimed[1]).toHaveLength(3);
        expect([...claimed[0]!, ...claimed[1]!].sort()).toEqual([...keys].sort());
        expect(await catalog.transaction((tx) => claimUnpublishedOutbox(tx, 10))).toEqual([]);
      });

      it('leaves fresh messages to their writer when asked for a minimum age', async () => {
        await drain();
        await enqueueOutbox(catalog, { topic: 't', key: 'fresh', payload: {} });
        expect(
          await catalog.transaction((tx) => claimUnpublishedOutbox(tx, 10, { minAgeMs: 60_000 })),
        ).toEqual([]);
        expect(await catalog.transaction((tx) => claimUnpublishedOutbox(tx, 10))).toHaveLength(1);
      });
    });

    describeLifecycleAndTags(() => catalog);
    describeKeysAndUploads(() => catalog);
    describePlaybackRestrictions(() => catalog);
    describeAlerts(() => catalog);
    describeLadders(() => catalog);
    describeVideoLadders(() => catalog);
    describeExperiments(() => catalog);

    describe('lifecycle', () => {
      it('answers ping and names its adapter', async () => {
        await catalog.ping();
        expect(catalog.adapter.port).toBe('catalog');
        expect(catalog.adapter.target).not.toMatch(/:[^/@]*@/);
      });
    });
  });
}

async function claimAndPublish(catalog: Catalog, limit: number): Promise<string[]> {
  return catalog.transaction(async (tx) => {
    const messages = await claimUnpublishedOutbox(tx, limit);
    await markOutboxPublished(
      tx,
      messages.map((m) => m.id),
    );
    return messages.map((m) => m.key);
  });
}

/** The first claimer keeps its transaction (and row locks) open until the second has claimed. */
async function claimWhileAnotherHoldsLocks(catalog: Catalog): Promise<string[][]> {
  let firstClaimed!: () => void;
  const claimedByFirst = new Promise<void>((resolve) => {
    firstClaimed = resolve;
  });
  let secondDone!: () => void;
  const secondFinished = new Promise<void>((resolve) => {
    secondDone = resolve;
  });
  const first = catalog.transaction(async (tx) => {
    const messages = await claimUnpublishedOutbox(tx, 3);
    firstClaimed();
    await secondFinished;
    await markOutboxPublished(
      tx,
      messages.map((m) => m.id),
    );
    return messages.map((m) => m.key);
  });
  await claimedByFirst;
  const second = await claimAndPublish(catalog, 10).finally(secondDone);
  return [await first, second];
}
