import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import { makeLadderRecord, makePackagedRendition } from '@streamloop/core/testing';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../src/catalog.js';
import { createLadderVersion, seedLadders } from '../src/ladder-repository.js';
import { claimUnpublishedOutbox } from '../src/outbox-repository.js';
import {
  claimVideoLadder,
  failVideoLadder,
  finishVideoLadder,
  getVideoLadder,
  type LadderJob,
  listVideoLadders,
  requestVideoLadder,
} from '../src/video-ladder-repository.js';
import { deleteVideo, insertVideo, newVideoId } from '../src/video-repository.js';

const TOPIC = 'transcode-jobs';
let jobs = 0;
const jobFor = (videoId: string, id: string, version: number): LadderJob => ({
  event: 'transcode.job.v1',
  jobId: `job-ladder-${Date.now()}-${++jobs}`,
  videoId,
  sourceKey: `sources/${videoId}/source`,
  attempt: 1,
  requestedAt: new Date().toISOString(),
  ladder: { id, version },
});

/** A published record of `ladderId` whose 240p, 360p and audio store `bytes`. */
const record = (ladderId: string, bytes: [number, number, number]): LadderRecord => {
  const base = makeLadderRecord({ ladderId, ladderVersion: 1 });
  return {
    ...base,
    renditions: [
      makePackagedRendition({ name: '240p', shortSide: 240, storageBytes: bytes[0] }, ladderId),
      makePackagedRendition({ name: '360p', storageBytes: bytes[1] }, ladderId),
    ],
    audio: { ...base.audio!, storageBytes: bytes[2] },
  };
};

/** The ladders a video carries beside its primary one; part of the catalog contract (both adapters). */
export function describeVideoLadders(getCatalog: () => Catalog): void {
  describe('video ladders', () => {
    const setUp = async () => {
      const catalog = getCatalog();
      await seedLadders(catalog, [DEFAULT_LADDER]);
      const ladderId = `mobile-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const definition = {
        id: ladderId,
        rungs: [DEFAULT_LADDER.rungs[0]!, DEFAULT_LADDER.rungs[1]!],
        audioBitrateKbps: 64,
        presets: DEFAULT_LADDER.presets,
      };
      await createLadderVersion(catalog, definition, 'key-a');
      await createLadderVersion(catalog, { ...definition, audioBitrateKbps: 96 }, 'key-a');
      const video = await insertVideo(catalog, { id: newVideoId(), title: 'clip', status: 'ready' });
      return { catalog, ladderId, videoId: video.id };
    };
    const outboxJobs = async (catalog: Catalog, videoId: string) =>
      catalog.transaction(async (tx) =>
        (await claimUnpublishedOutbox(tx, 1000))
          .map((m) => m.payload as LadderJob)
          .filter((job) => job.videoId === videoId && job.ladder !== undefined),
      );

    it('queues one job per request, none for a repeat, and a new one for another version', async () => {
      const { catalog, ladderId, videoId } = await setUp();
      const first = await requestVideoLadder(catalog, {
        job: jobFor(videoId, ladderId, 1),
        topic: TOPIC,
        requestedBy: 'key-a',
      });
      expect(first.videoLadder).toMatchObject({
        ladderId,
        ladderVersion: 1,
        status: 'queued',
        record: null,
        storageBytes: null,
      });
      expect(first.outboxId).toBeTypeOf('number');

      const repeat = await requestVideoLadder(catalog, {
        job: jobFor(videoId, ladderId, 1),
        topic: TOPIC,
        requestedBy: 'key-b',
      });
      expect([repeat.outboxId, repeat.videoLadder.requestedBy]).toEqual([undefined, 'key-a']);

      const other = await requestVideoLadder(catalog, {
        job: jobFor(videoId, ladderId, 2),
        topic: TOPIC,
        requestedBy: 'key-b',
      });
      expect([other.videoLadder.ladderVersion, other.videoLadder.status]).toEqual([2, 'queued']);
      const queued = await outboxJobs(catalog, videoId);
      expect(queued.map((j) => j.ladder.version)).toEqual([1, 2]);
      expect(await listVideoLadders(catalog, videoId)).toHaveLength(1);
    });

    it('lets only the newest job claim, publish or fail the row, and sums the bytes it stores', async () => {
      const { catalog, ladderId, videoId } = await setUp();
      const stale = jobFor(videoId, ladderId, 1);
      await requestVideoLadder(catalog, { job: stale, topic: TOPIC, requestedBy: 'key-a' });
      const current = jobFor(videoId, ladderId, 2);
      await requestVideoLadder(catalog, { job: current, topic: TOPIC, requestedBy: 'key-a' });
      const ref = (jobId: string) => ({ videoId, ladderId, jobId });

      expect(await claimVideoLadder(catalog, ref(stale.jobId))).toBe(false);
      expect(await claimVideoLadder(catalog, ref(current.jobId))).toBe(true);
      expect(await finishVideoLadder(catalog, ref(stale.jobId), record(ladderId, [1, 2, 3]))).toBe(false);
      expect(
        await finishVideoLadder(catalog, ref(current.jobId), record(ladderId, [1_000, 20_000, 300])),
      ).toBe(true);
      const ready = await getVideoLadder(catalog, videoId, ladderId);
      expect(ready).toMatchObject({ status: 'ready', ladderVersion: 2, storageBytes: 21_300 });
      expect(ready?.record?.renditions.map((r) => r.storageBytes)).toEqual([1_000, 20_000]);
      // Done is done: a late failure report of the same job changes nothing.
      expect(await failVideoLadder(catalog, ref(current.jobId), 'ffmpeg died')).toBe(false);
    });

    it('keeps the reason of a failed encode and queues it again on request', async () => {
      const { catalog, ladderId, videoId } = await setUp();
      const job = jobFor(videoId, ladderId, 1);
      await requestVideoLadder(catalog, { job, topic: TOPIC, requestedBy: 'key-a' });
      expect(
        await failVideoLadder(catalog, { videoId, ladderId, jobId: job.jobId }, 'source has no video stream'),
      ).toBe(true);
      expect(await getVideoLadder(catalog, videoId, ladderId)).toMatchObject({
        status: 'failed',
        error: 'source has no video stream',
      });
      const again = await requestVideoLadder(catalog, {
        job: jobFor(videoId, ladderId, 1),
        topic: TOPIC,
        requestedBy: 'key-a',
      });
      expect([again.videoLadder.status, again.videoLadder.error, typeof again.outboxId]).toEqual([
        'queued',
        null,
        'number',
      ]);
    });

    it('refuses a ladder version that does not exist, writing nothing', async () => {
      const { catalog, ladderId, videoId } = await setUp();
      await expect(
        requestVideoLadder(catalog, {
          job: jobFor(videoId, ladderId, 9),
          topic: TOPIC,
          requestedBy: 'key-a',
        }),
      ).rejects.toThrow();
      expect(await listVideoLadders(catalog, videoId)).toEqual([]);
      expect(await outboxJobs(catalog, videoId)).toEqual([]);
    });

    it('goes with its video', async () => {
      const { catalog, ladderId, videoId } = await setUp();
      await requestVideoLadder(catalog, {
        job: jobFor(videoId, ladderId, 1),
        topic: TOPIC,
        requestedBy: 'key-a',
      });
      await deleteVideo(catalog, videoId);
      expect(await listVideoLadders(catalog, videoId)).toEqual([]);
    });
  });
}
