/**
 * transcode_attempts and video_keys on both adapters: PostgreSQL (a scratch database) and PGlite.
 */
import { uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../src/catalog.js';
import {
  beginJobAttempt,
  getJobAttempts,
  isCurrentJobAttempt,
  listJobAttemptsOfVideo,
  recordJobAttemptError,
} from '../src/job-attempts-repository.js';
import { getOrCreateVideoKey, getVideoKey } from '../src/key-repository.js';
import { deleteVideo, insertVideo } from '../src/video-repository.js';
import { TEST_CATALOGS } from '../src/testing.js';

describe.each(TEST_CATALOGS)('transcode tables on %s', (_name, open) => {
  let catalog: Catalog;
  let teardown: () => Promise<void>;

  beforeAll(async () => {
    ({ catalog, teardown } = await open());
  });
  afterAll(() => teardown?.());

  it('counts every attempt of a job as it begins and fences all but the newest', async () => {
    const jobId = uniqueName('job');
    const first = await beginJobAttempt(catalog, { jobId, videoId: 'video-a', attemptId: 'attempt-1' });
    expect(first).toMatchObject({ attempts: 1, currentAttemptId: 'attempt-1', lastError: null });
    await recordJobAttemptError(catalog, jobId, 'ffmpeg was killed');
    const second = await beginJobAttempt(catalog, { jobId, videoId: 'video-a', attemptId: 'attempt-2' });
    expect(second).toMatchObject({
      attempts: 2,
      currentAttemptId: 'attempt-2',
      lastError: 'ffmpeg was killed',
    });

    expect(await catalog.transaction((tx) => isCurrentJobAttempt(tx, jobId, 'attempt-1'))).toBe(false);
    expect(await catalog.transaction((tx) => isCurrentJobAttempt(tx, jobId, 'attempt-2'))).toBe(true);
    expect(await isCurrentJobAttempt(catalog, uniqueName('job'), 'attempt-1')).toBe(false);
    expect((await getJobAttempts(catalog, jobId))?.attempts).toBe(2);
    expect((await listJobAttemptsOfVideo(catalog, 'video-a')).map((a) => a.jobId)).toEqual([jobId]);
  });

  it('creates one random 16-byte key per video, returns the same one afterwards, drops it with the video', async () => {
    const a = await insertVideo(catalog, { title: 'a' });
    const b = await insertVideo(catalog, { title: 'b' });
    const keyA = await getOrCreateVideoKey(catalog, a.id);
    expect(keyA?.method).toBe('AES-128');
    expect(keyA?.key).toHaveLength(16);
    expect((await getOrCreateVideoKey(catalog, a.id))?.key.equals(keyA!.key)).toBe(true);
    expect((await getVideoKey(catalog, a.id))?.key.equals(keyA!.key)).toBe(true);
    expect((await getOrCreateVideoKey(catalog, b.id))?.key.equals(keyA!.key)).toBe(false);

    expect(await getOrCreateVideoKey(catalog, 'no-such-video')).toBeUndefined();
    await deleteVideo(catalog, a.id);
    expect(await getVideoKey(catalog, a.id)).toBeUndefined();
  });
});
