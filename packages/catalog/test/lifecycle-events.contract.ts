import { VideoEvent } from '@streamloop/core/schemas/video-event';
import { uniqueName } from '@streamloop/core/testing';
import { createValidator } from '@streamloop/core/validate';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../src/catalog.js';
import {
  deleteVideo,
  insertVideo,
  listVideos,
  type NewVideo,
  newVideoId,
  patchVideo,
  updateVideoStatus,
} from '../src/video-repository.js';

const isVideoEvent = createValidator(VideoEvent);

/** Lifecycle events in the outbox and tag search; part of the catalog contract (both adapters). */
export function describeLifecycleAndTags(getCatalog: () => Catalog): void {
  const makeVideo = (overrides: Partial<NewVideo> = {}): NewVideo => ({
    id: newVideoId(),
    title: 'Untitled',
    owner: uniqueName('owner'),
    ...overrides,
  });

  const eventsOf = async (videoId: string) =>
    (
      await getCatalog().query<{ payload: Record<string, unknown> }>(
        `SELECT payload FROM outbox WHERE topic = 'video-events' AND key = $1 ORDER BY id`,
        [videoId],
      )
    ).map((row) => row.payload);

  describe('lifecycle events', () => {
    it('announces uploaded, ready and failed on video-events, and nothing for processing ticks or refused moves', async () => {
      const catalog = getCatalog();
      const a = await insertVideo(catalog, makeVideo({ status: 'waiting_upload' }));
      expect(await eventsOf(a.id)).toEqual([]);
      await updateVideoStatus(catalog, a.id, { status: 'uploaded' });
      await updateVideoStatus(catalog, a.id, { status: 'processing' });
      await updateVideoStatus(catalog, a.id, { status: 'processing', progressPercent: 50 });
      await updateVideoStatus(catalog, a.id, { status: 'ready' });
      // Refused (ready is final): no event either.
      await updateVideoStatus(catalog, a.id, { status: 'failed', error: 'late' });

      const b = await insertVideo(catalog, makeVideo({ status: 'uploaded' }));
      await updateVideoStatus(catalog, b.id, { status: 'processing' });
      await updateVideoStatus(catalog, b.id, { status: 'failed', error: 'ffmpeg exited with 1' });

      const eventsA = await eventsOf(a.id);
      expect(eventsA.map((e) => e.event)).toEqual(['video.uploaded.v1', 'video.ready.v1']);
      expect(eventsA[1]).toMatchObject({ videoId: a.id, status: 'ready', error: null, owner: a.owner });
      const eventsB = await eventsOf(b.id);
      expect(eventsB.map((e) => [e.event, e.status, e.error])).toEqual([
        ['video.uploaded.v1', 'uploaded', null],
        ['video.failed.v1', 'failed', 'ffmpeg exited with 1'],
      ]);
      for (const event of [...eventsA, ...eventsB])
        expect(isVideoEvent(event)).toEqual({ ok: true, value: event });
    });

    it('announces a deletion once', async () => {
      const catalog = getCatalog();
      const video = await insertVideo(catalog, makeVideo());
      expect(await deleteVideo(catalog, video.id)).toBe(true);
      expect(await deleteVideo(catalog, video.id)).toBe(false);
      const events = await eventsOf(video.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ event: 'video.deleted.v1', videoId: video.id, status: null });
      expect(isVideoEvent(events[0]).ok).toBe(true);
    });

    it('writes no event when the change rolls back', async () => {
      const catalog = getCatalog();
      const video = await insertVideo(catalog, makeVideo({ status: 'processing' }));
      await catalog
        .transaction(async (tx) => {
          await updateVideoStatus(tx, video.id, { status: 'ready' });
          throw new Error('abort');
        })
        .catch(() => undefined);
      expect(await eventsOf(video.id)).toEqual([]);
    });
  });

  describe('tags', () => {
    it('stores tags, finds videos by them, and searches the new tags after a patch', async () => {
      const catalog = getCatalog();
      const owner = uniqueName('tags');
      const tagged = await insertVideo(
        catalog,
        makeVideo({ owner, title: 'Morning', tags: ['surfing', 'Portugal'] }),
      );
      await insertVideo(catalog, makeVideo({ owner, title: 'Evening', description: 'no tags here' }));
      const search = async (q: string) =>
        (await listVideos(catalog, { owner, q, limit: 10 })).videos.map((v) => v.id);

      expect(tagged.tags).toEqual(['surfing', 'Portugal']);
      expect(await search('surfing')).toEqual([tagged.id]);
      expect(await search('portu')).toEqual([tagged.id]);
      const patched = await patchVideo(catalog, tagged.id, { tags: ['cooking'] });
      expect(patched?.tags).toEqual(['cooking']);
      expect(await search('surfing')).toEqual([]);
      expect(await search('cooking')).toEqual([tagged.id]);
    });

    it('ranks a title match above a tag match above a description match', async () => {
      const catalog = getCatalog();
      const owner = uniqueName('tagrank');
      const inDescription = await insertVideo(
        catalog,
        makeVideo({ owner, title: 'One', description: 'kayak trip' }),
      );
      const inTags = await insertVideo(catalog, makeVideo({ owner, title: 'Two', tags: ['kayak'] }));
      const inTitle = await insertVideo(catalog, makeVideo({ owner, title: 'Kayak' }));
      const found = (await listVideos(catalog, { owner, q: 'kayak trips', limit: 10 })).videos.map(
        (v) => v.id,
      );
      expect(found).toEqual([inDescription.id]);
      const all = (await listVideos(catalog, { owner, q: 'kayak', limit: 10 })).videos.map((v) => v.id);
      expect(all).toEqual([inTitle.id, inTags.id, inDescription.id]);
    });
  });
}
