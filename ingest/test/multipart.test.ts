/**
 * Direct-to-S3 multipart uploads on the real services: the client PUTs parts to presigned S3Proxy
 * URLs (the bytes never pass through ingest), completes, and the object joins the pipeline (catalog
 * row 'uploaded', one transcode job on Kafka). Also the refusals a client can run into. The trip to
 * `ready` through a real transcode is in e2e/test/direct-upload.test.ts (ingest cannot import transcode).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, callJson, recordJobs } from './helpers.js';
import { type RealIngest, startRealIngest } from './real-fixture.js';

const run = promisify(execFile);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const MIB = 1024 * 1024;

interface Started {
  videoId: string;
  uploadId: string;
  partSizeBytes: number;
  parts: { partNumber: number; url: string }[];
  complete: { method: string; url: string };
  abort: { method: string; url: string };
}

describe('direct multipart uploads to S3Proxy', () => {
  let ingest: RealIngest;
  let clip: Buffer;
  const videoIds: string[] = [];

  const api = (method: string, route: string, body?: unknown) =>
    callJson(ingest.baseUrl, API_KEY, method, route, body);
  const start = async (body: Record<string, unknown>): Promise<Started> => {
    const res = await api('POST', '/api/v1/uploads/multipart', body);
    expect(res.status).toBe(201);
    videoIds.push(res.body.videoId);
    return res.body as Started;
  };
  /** PUTs each part straight to S3 as a browser would; returns the ETags S3 answered. */
  const putParts = async (started: Started, bytes: Buffer) =>
    Promise.all(
      started.parts.map(async ({ partNumber, url }) => {
        expect(new URL(url).origin).toBe(new URL(ingest.s3.endpoint).origin);
        const from = (partNumber - 1) * started.partSizeBytes;
        const res = await fetch(url, {
          method: 'PUT',
          body: bytes.subarray(from, from + started.partSizeBytes),
        });
        expect(res.status).toBe(200);
        return { partNumber, etag: res.headers.get('etag') ?? '' };
      }),
    );

  beforeAll(async () => {
    ingest = await startRealIngest();
    // A real clip of ~12 MB (noise defeats compression), so it takes two parts of 8 MiB.
    const file = path.join(ingest.dir, 'noisy.mp4');
    await run('ffmpeg', [
      ...[
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=25,noise=alls=60:allf=t+u',
        '-t',
        '2',
      ],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '8', '-pix_fmt', 'yuv420p', file],
    ]);
    clip = await readFile(file);
    expect(clip.length).toBeGreaterThan(9 * MIB);
  });
  afterAll(async () => {
    for (const id of videoIds) await ingest?.objectStore.delete(`sources/${id}`).catch(() => undefined);
    await ingest?.teardown();
  });

  it('uploads parts straight to S3, completes, and records the video with one transcode job', async () => {
    const jobs = await recordJobs(ingest.eventLog, uniqueName('multipart-jobs'));
    try {
      const started = await start({
        filename: 'noisy.mp4',
        sizeBytes: clip.length,
        title: 'Direct',
        contentType: 'video/mp4',
      });
      expect(started.partSizeBytes).toBe(8 * MIB);
      expect(started.parts.map((p) => p.partNumber)).toEqual([1, 2]);
      const parts = await putParts(started, clip);

      const done = await api(started.complete.method, started.complete.url, { parts: [...parts].reverse() });
      expect([done.status, done.body]).toEqual([200, { videoId: started.videoId, status: 'uploaded' }]);
      // Compared as digests: a deep toEqual over 12 MB of bytes takes minutes.
      const stored = await ingest.objectStore.getBuffer(`sources/${started.videoId}`);
      expect(sha256(stored ?? Buffer.alloc(0))).toBe(sha256(clip));
      expect((await api('GET', `/api/v1/videos/${started.videoId}`)).body).toMatchObject({
        title: 'Direct',
        filename: 'noisy.mp4',
        status: 'uploaded',
        sourceKey: `sources/${started.videoId}`,
      });
      // Completing again (a client retry) answers the same and queues nothing more.
      const again = await api('POST', started.complete.url, { parts });
      expect([again.status, again.body]).toEqual([done.status, done.body]);
      await eventually(
        'the job on Kafka',
        () => (jobs.forKey(started.videoId).length > 0 ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      expect(jobs.forKey(started.videoId)).toHaveLength(1);
    } finally {
      await jobs.stop();
    }
  });

  it('uploads into a video created first, and refuses a second upload into it', async () => {
    const video = (await api('POST', '/api/v1/videos', { title: 'Metadata first' })).body;
    const started = await start({ filename: 'noisy.mp4', sizeBytes: clip.length, videoId: video.id });
    expect(started.videoId).toBe(video.id);
    await api('POST', started.complete.url, { parts: await putParts(started, clip) });
    expect((await api('GET', `/api/v1/videos/${video.id}`)).body).toMatchObject({
      title: 'Metadata first',
      status: 'uploaded',
    });
    const again = await api('POST', '/api/v1/uploads/multipart', {
      filename: 'x.mp4',
      sizeBytes: 10,
      videoId: video.id,
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'ERR_CONFLICT']);
  });

  it('refuses a wrong ETag, then aborts idempotently and refuses to complete after the abort', async () => {
    const started = await start({ filename: 'noisy.mp4', sizeBytes: clip.length });
    const parts = await putParts(started, clip);
    const bad = await api('POST', started.complete.url, {
      parts: [parts[0], { partNumber: 2, etag: '"0123456789abcdef0123456789abcdef"' }],
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ERR_VALIDATION']);
    expect(bad.body.error.message).toMatch(/S3 refused to complete/);

    expect((await api(started.abort.method, started.abort.url)).status).toBe(204);
    expect((await api('DELETE', started.abort.url)).status).toBe(204);
    const late = await api('POST', started.complete.url, { parts });
    expect([late.status, late.body.error.code]).toEqual([409, 'ERR_CONFLICT']);
    expect((await api('GET', `/api/v1/videos/${started.videoId}`)).body.status).toBe('waiting_upload');
  });

  it('refuses an object whose size is not the declared one', async () => {
    const started = await start({ filename: 'noisy.mp4', sizeBytes: clip.length + 1 });
    const res = await api('POST', started.complete.url, { parts: await putParts(started, clip) });
    expect([res.status, res.body.error.code]).toEqual([400, 'ERR_VALIDATION']);
    expect(res.body.error.message).toContain(`has ${clip.length} bytes, not the ${clip.length + 1} declared`);
    expect((await api('GET', `/api/v1/videos/${started.videoId}`)).body.status).toBe('waiting_upload');
    expect(await ingest.objectStore.head(`sources/${started.videoId}`)).toBeNull();
  });

  it.each([
    ['a part size under S3’s 5 MiB minimum', { filename: 'a.mp4', sizeBytes: 100, partSizeBytes: MIB }],
    ['a content type that is not video', { filename: 'a.mp4', sizeBytes: 100, contentType: 'text/html' }],
  ])('refuses %s with ERR_VALIDATION', async (_case, body) => {
    const res = await api('POST', '/api/v1/uploads/multipart', body);
    expect([res.status, res.body.error.code]).toEqual([400, 'ERR_VALIDATION']);
  });

  it('refuses a file over the upload limit with 413 before creating anything', async () => {
    const res = await api('POST', '/api/v1/uploads/multipart', {
      filename: 'a.mp4',
      sizeBytes: 11 * 1024 ** 3,
    });
    expect([res.status, res.body.error.code]).toEqual([413, 'ERR_UPLOAD_TOO_LARGE']);
  });
});
