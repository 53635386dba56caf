/**
 * The worker with real ffmpeg on the embedded adapters (PGlite, in-process log with one partition,
 * local folder).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beginJobAttempt, getJobAttempts } from '@streamloop/catalog/job-attempts-repository';
import { deleteVideo, getVideo, insertVideo, type VideoRecord } from '@streamloop/catalog/video-repository';
import { ladderPrefix, MASTER_PLAYLIST, mediaKey } from '@streamloop/core/object-layout';
import { eventually } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codecsOf,
  makeClip,
  makeJob,
  metricValue,
  parseMaster,
  parseMediaPlaylist,
  run,
  startTranscodeFixture,
  type TranscodeFixture,
} from './helpers.js';

const ENCODE_TIMEOUT = { timeoutMs: 120_000, intervalMs: 100 };

function settled(fixture: TranscodeFixture, videoId: string): Promise<VideoRecord> {
  return eventually(
    `video ${videoId} to be ready or failed`,
    async () => {
      const video = await getVideo(fixture.catalog, videoId);
      return video?.status === 'ready' || video?.status === 'failed' ? video : undefined;
    },
    ENCODE_TIMEOUT,
  );
}

/** `_count` or `_sum` of the encode-time histogram. */
async function encodeSeconds(fixture: TranscodeFixture, part: 'count' | 'sum'): Promise<number> {
  const metric = (await fixture.registry.getMetricsAsJSON()).find(
    (m) => m.name === 'streamloop_transcode_encode_seconds',
  );
  const values = (metric?.values ?? []) as { metricName?: string; value: number }[];
  return values.find((v) => v.metricName === `streamloop_transcode_encode_seconds_${part}`)?.value ?? 0;
}

describe('transcode worker on the embedded adapters with real ffmpeg', () => {
  let fixture: TranscodeFixture;
  let clip: Buffer;

  beforeAll(async () => {
    fixture = await startTranscodeFixture();
    clip = await makeClip(path.join(fixture.dir, 'clip.mp4'), { seconds: 6, size: '640x360' });
  });
  afterAll(() => fixture.teardown());

  it('turns a 6 s 640x360 clip into an HLS ladder with a master playlist, every file stored', async () => {
    const job = await fixture.submit(clip);
    const video = await settled(fixture, job.videoId);
    expect(video).toMatchObject({ status: 'ready', error: null, progressPercent: 100 });
    expect(video.durationMs).toBeGreaterThan(5_500);
    expect(video.durationMs).toBeLessThan(6_500);

    // Published under the ladder's folder, where the record the catalog keeps says.
    const masterKey = mediaKey(job.videoId, video.ladder!.master);
    expect(masterKey).toBe(`${ladderPrefix(job.videoId, 'default')}${MASTER_PLAYLIST}`);
    const prefix = masterKey.slice(0, masterKey.lastIndexOf('/') + 1);
    const master = await fixture.objectStore.get(masterKey);
    expect(master?.contentType).toBe('application/vnd.apple.mpegurl');
    master?.body.destroy();
    const variants = parseMaster((await fixture.objectStore.getBuffer(masterKey))!.toString('utf8'));
    expect(variants.length).toBeGreaterThanOrEqual(2);
    for (const variant of variants) {
      expect(Number(variant.attributes.BANDWIDTH)).toBeGreaterThan(0);
      expect(variant.attributes.RESOLUTION).toMatch(/^\d+x\d+$/);
      expect(variant.attributes.CODECS).toMatch(/avc1\..+,mp4a\.40\.2/);
      const [width, height] = variant.attributes.RESOLUTION!.split('x').map(Number);
      // Never upscaled, even, aspect kept.
      expect(height).toBeLessThanOrEqual(360);
      expect((width! % 2) + (height! % 2)).toBe(0);
      expect(width! / height!).toBeCloseTo(640 / 360, 1);

      const childKey = prefix + variant.uri;
      const playlist = parseMediaPlaylist((await fixture.objectStore.getBuffer(childKey))!.toString('utf8'));
      expect(playlist.ended).toBe(true);
      expect(playlist.targetDuration).toBeLessThanOrEqual(7);
      expect(playlist.segments.length).toBeGreaterThan(0);
      const childDir = childKey.slice(0, childKey.lastIndexOf('/') + 1);
      for (const segment of playlist.segments) {
        expect(await fixture.objectStore.head(childDir + segment), childDir + segment).toMatchObject({
          contentType: 'video/iso.segment',
        });
      }
    }
    expect(new Set(variants.map((v) => v.attributes.RESOLUTION)).size).toBe(variants.length);

    const firstChild = prefix + variants[0]!.uri;
    const firstSegment = parseMediaPlaylist(
      (await fixture.objectStore.getBuffer(firstChild))!.toString('utf8'),
    ).segments[0]!;
    // CMAF: a segment decodes with its rendition's init segment; audio is one shared rendition.
    const playable = async (folder: string, segment: string) =>
      Buffer.concat([
        (await fixture.objectStore.getBuffer(`${folder}init.mp4`))!,
        (await fixture.objectStore.getBuffer(folder + segment))!,
      ]);
    const firstFolder = firstChild.slice(0, firstChild.lastIndexOf('/') + 1);
    expect(await codecsOf(await playable(firstFolder, firstSegment), fixture.dir)).toEqual(['h264']);
    expect(await codecsOf(await playable(`${prefix}audio/`, 'seg_000.m4s'), fixture.dir)).toEqual(['aac']);
    expect(await fixture.objectStore.head(mediaKey(job.videoId, video.ladder!.poster))).toMatchObject({
      contentType: 'image/jpeg',
    });
    // A 6 s clip with an IDR every 2 s: stills at 0, 2 and 4 s, stored immutable like segments.
    expect(video.ladder).toMatchObject({
      thumbnails: { intervalSec: 2, count: 3, pattern: 'default/thumbs/t_%05d.jpg' },
    });
    for (const still of ['t_00000.jpg', 't_00001.jpg', 't_00002.jpg']) {
      expect(await fixture.objectStore.head(`${prefix}thumbs/${still}`)).toMatchObject({
        contentType: 'image/jpeg',
        cacheControl: 'public, max-age=31536000, immutable',
      });
    }

    console.info(`6 s 640x360 clip encoded in ${(await encodeSeconds(fixture, 'sum')).toFixed(2)} s`);
  });

  it('does not encode a redelivered job for a video that is already ready', async () => {
    const jobs = (outcome: string) =>
      metricValue(fixture.registry, 'streamloop_transcode_jobs_total', { outcome });
    const readyBefore = await jobs('ready');
    const job = await fixture.submit(clip);
    await settled(fixture, job.videoId);
    // The worker counts a job once its handler returned, just after the catalog says 'ready'.
    await eventually('the first delivery to be counted', async () =>
      (await jobs('ready')) === readyBefore + 1 ? true : undefined,
    );
    const encodes = await encodeSeconds(fixture, 'count');
    const skippedBefore = await jobs('skipped');

    await fixture.publish(job);
    await eventually('the redelivered job to be skipped', async () =>
      (await jobs('skipped')) > skippedBefore ? true : undefined,
    );
    expect(await encodeSeconds(fixture, 'count')).toBe(encodes);
    expect((await getVideo(fixture.catalog, job.videoId))?.status).toBe('ready');
  });

  it('fails random bytes named .mp4 as not playable, commits, and goes on with the next job', async () => {
    const junk = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) % 251));
    const bad = await fixture.submit(junk);
    await fixture.publish('this is not a job');
    // Same single partition: it only runs if nothing before it is stuck retrying.
    const good = await fixture.submit(clip);

    const failed = await settled(fixture, bad.videoId);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^not a playable video: /);
    expect(failed.error).not.toContain(fixture.dir);
    expect((await settled(fixture, good.videoId)).status).toBe('ready');
    expect(
      await metricValue(fixture.registry, 'streamloop_transcode_jobs_total', { outcome: 'invalid' }),
    ).toBe(1);
    // The bad message is kept, with why, on the dead-letter topic.
    expect(fixture.deadLetters).toEqual([
      expect.objectContaining({
        value: 'this is not a job',
        valueEncoding: 'utf8',
        reason: 'invalid',
        detail: expect.stringMatching(/^not a TranscodeJob: /),
        service: 'transcode',
        source: expect.objectContaining({ topic: 'transcode-jobs', key: 'garbage' }),
      }),
    ]);
    expect(
      await metricValue(fixture.registry, 'streamloop_transcode_jobs_total', { outcome: 'retried' }),
    ).toBe(0);
  });

  it('refuses an HLS playlist renamed .mp4 without reading the local files it points at', async () => {
    // If the playlist were demuxed, this real local clip would be encoded and the video would be ready.
    const secret = path.join(fixture.dir, 'secret.ts');
    await makeClip(secret, { seconds: 2, size: '320x240', format: 'mpegts' });
    const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${secret}\n#EXT-X-ENDLIST\n`;
    const job = await fixture.submit(Buffer.from(playlist));

    const video = await settled(fixture, job.videoId);
    expect(video.status).toBe('failed');
    expect(video.error).toMatch(/^not a playable video: /);
    expect(
      await fixture.objectStore.head(`${ladderPrefix(job.videoId, 'default')}${MASTER_PLAYLIST}`),
    ).toBeNull();
  });

  it('encodes a small source without audio to video-only renditions, never upscaled', async () => {
    const silent = await makeClip(path.join(fixture.dir, 'silent.mp4'), {
      seconds: 2,
      size: '320x240',
      audio: false,
    });
    const job = await fixture.submit(silent);
    expect((await settled(fixture, job.videoId)).status).toBe('ready');
    const variants = parseMaster(
      (await fixture.objectStore.getBuffer(
        `${ladderPrefix(job.videoId, 'default')}${MASTER_PLAYLIST}`,
      ))!.toString('utf8'),
    );
    expect(variants.map((v) => [v.attributes.RESOLUTION, v.attributes.CODECS])).toEqual([
      ['312x234', expect.stringMatching(/^avc1\.[0-9A-F]{6}$/)],
      ['320x240', expect.stringMatching(/^avc1\.[0-9A-F]{6}$/)],
    ]);
  });

  it('fails a source without a video stream as not playable', async () => {
    const file = path.join(fixture.dir, 'audio-only.m4a');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', file]);
    const job = await fixture.submit(await readFile(file));
    const video = await settled(fixture, job.videoId);
    expect(video.error).toBe('not a playable video: it has no video stream');
  });
});

describe('transcode worker attempts, counted in the catalog', () => {
  let fixture: TranscodeFixture;

  beforeAll(async () => {
    fixture = await startTranscodeFixture({ maxAttempts: 2, retryBackoffMs: 10 });
  });
  afterAll(() => fixture.teardown());

  it('gives up a job whose attempts all died with their worker, fails the video and dead-letters the job', async () => {
    const clip = await makeClip(path.join(fixture.dir, 'small.mp4'), { seconds: 1, size: '320x240' });
    const video = await insertVideo(fixture.catalog, { title: 'crash loop', status: 'processing' });
    const job = makeJob({ videoId: video.id });
    await fixture.objectStore.put(job.sourceKey, clip);
    // Two attempts that began and never ended, as two workers killed by this job would leave them
    // (crash-safety.test.ts kills real workers; here the catalog rows stand in for that).
    for (const attemptId of ['killed-1', 'killed-2']) {
      await beginJobAttempt(fixture.catalog, { jobId: job.jobId, videoId: video.id, attemptId });
    }
    await fixture.publish(job);

    const failed = await settled(fixture, video.id);
    expect(failed.error).toBe('transcode failed after 2 attempts: the worker stopped during every attempt');
    await eventually('the job on the dead-letter topic', async () =>
      fixture.deadLetters.length > 0 ? true : undefined,
    );
    expect(fixture.deadLetters).toEqual([
      expect.objectContaining({
        reason: 'gave_up',
        detail: failed.error,
        value: JSON.stringify(job),
        source: expect.objectContaining({ key: video.id }),
      }),
    ]);
    expect(await encodeSeconds(fixture, 'count')).toBe(0);
    expect(
      await metricValue(fixture.registry, 'streamloop_transcode_jobs_total', { outcome: 'gave_up' }),
    ).toBe(1);
  });

  it('drops a job for a deleted video and goes on with the next job', async () => {
    const deleted = await insertVideo(fixture.catalog, { title: 'deleted', status: 'uploaded' });
    await deleteVideo(fixture.catalog, deleted.id);
    const skippedBefore = await metricValue(fixture.registry, 'streamloop_transcode_jobs_total', {
      outcome: 'skipped',
    });
    await fixture.publish(makeJob({ videoId: deleted.id }));
    const good = await fixture.submit(
      await makeClip(path.join(fixture.dir, 'next.mp4'), { seconds: 1, size: '320x240' }),
    );

    expect((await settled(fixture, good.videoId)).status).toBe('ready');
    expect(
      await metricValue(fixture.registry, 'streamloop_transcode_jobs_total', { outcome: 'skipped' }),
    ).toBe(skippedBefore + 1);
    expect(await getJobAttempts(fixture.catalog, good.jobId)).toMatchObject({ attempts: 1 });
    expect(
      await fixture.objectStore.head(`${ladderPrefix(deleted.id, 'default')}${MASTER_PLAYLIST}`),
    ).toBeNull();
  });
});

describe('transcode worker when the object store fails', () => {
  let fixture: TranscodeFixture;

  beforeAll(async () => {
    fixture = await startTranscodeFixture({ maxAttempts: 2, retryBackoffMs: 10 });
  });
  afterAll(() => fixture.teardown());

  it('retries, then marks the video failed after maxAttempts instead of retrying forever', async () => {
    const clip = await makeClip(path.join(fixture.dir, 'small.mp4'), { seconds: 1, size: '320x240' });
    // A real fault: the local store cannot stage new objects while its tmp folder is not a folder.
    const tmp = path.join(fixture.dir, 'objects', 'tmp');
    const job = await fixture.submit(clip);
    await rm(tmp, { recursive: true });
    await writeFile(tmp, 'not a folder');

    const video = await settled(fixture, job.videoId);
    expect(video.status).toBe('failed');
    expect(video.error).toMatch(/^transcode failed after 2 attempts: /);
    expect(fixture.deadLetters.map((letter) => letter.detail)).toEqual([video.error]);
    expect(
      await metricValue(fixture.registry, 'streamloop_transcode_jobs_total', { outcome: 'retried' }),
    ).toBe(1);
    expect(
      await metricValue(fixture.registry, 'streamloop_transcode_jobs_total', { outcome: 'gave_up' }),
    ).toBe(1);
  });
});
