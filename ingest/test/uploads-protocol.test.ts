/**
 * The tus 1.0 status codes a client relies on, the declared-type and size limits (refused before a
 * byte is stored), and dedup: the same file twice from one owner is one video and one transcode.
 * Embedded adapters (local folder store, PGlite, in-process log).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { getVideo } from '@streamloop/catalog/video-repository';
import { eventually, metricValue, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { makeClip, recordJobs, tusUpload } from './helpers.js';
import { sha256Of } from './s3-fixture.js';
import { createUpload, encodeMetadata, head, patch, TUS_HEADERS } from './tus-requests.js';

const MAX_BYTES = 10 * 1024 * 1024;

describe('tus status codes, limits and dedup (embedded adapters)', () => {
  let ingest: EmbeddedIngest;
  let clip: Buffer;
  let jobs: Awaited<ReturnType<typeof recordJobs>>;

  beforeAll(async () => {
    ingest = await startEmbeddedIngest({
      maxUploadBytes: MAX_BYTES,
      allowedTypes: ['video/*', 'application/mxf'],
    });
    clip = (await makeClip(ingest.dir)).bytes;
    jobs = await recordJobs(ingest.eventLog, uniqueName('jobs'));
  });
  afterAll(async () => {
    await jobs?.stop();
    await ingest?.teardown();
  });

  const stagedUploads = () => readdir(path.join(ingest.dataDir, 'uploads'));

  it('answers the tus status matrix: 409 wrong offset, 415 wrong content type, 412 wrong version, 404 unknown, 404 after DELETE', async () => {
    const url = await createUpload(ingest.baseUrl, 100, { title: 'Matrix' });
    const bytes = Buffer.alloc(10, 7);

    expect((await patch(url, 5, bytes)).status).toBe(409);
    const wrongType = await patch(url, 0, bytes, { headers: { 'Content-Type': 'application/octet-stream' } });
    expect(wrongType.status).toBe(415);
    expect(wrongType.text).toMatch(/application\/offset\+octet-stream/);

    const oldVersion = await fetch(url, {
      method: 'HEAD',
      headers: { ...TUS_HEADERS, 'Tus-Resumable': '0.2.2' },
    });
    expect(oldVersion.status).toBe(412);
    expect(oldVersion.headers.get('tus-version')).toBe('1.0.0');
    const noVersion = await fetch(url, {
      method: 'HEAD',
      headers: { Authorization: TUS_HEADERS.Authorization },
    });
    expect(noVersion.status).toBe(412);

    // None of the refused requests moved the upload.
    expect(await head(url)).toEqual({ status: 200, offset: 0 });
    expect((await patch(url, 0, bytes)).offset).toBe(10);

    const unknown = url.replace(/[^/]+$/, 'AAAAAAAAAAAAAAAAAAAAAA');
    expect((await head(unknown)).status).toBe(404);
    expect((await patch(unknown, 0, bytes)).status).toBe(404);

    const deleted = await fetch(url, { method: 'DELETE', headers: TUS_HEADERS });
    expect(deleted.status).toBe(204);
    expect([404, 410]).toContain((await head(url)).status);
    expect([404, 410]).toContain((await patch(url, 10, bytes)).status);
  });

  it('refuses a declared length over the limit with 413 and a declared type not allowed with 415, storing nothing', async () => {
    const before = await stagedUploads();
    const create = (length: number, metadata: Record<string, string>) =>
      fetch(`${ingest.baseUrl}/uploads/`, {
        method: 'POST',
        headers: {
          ...TUS_HEADERS,
          'Upload-Length': String(length),
          'Upload-Metadata': encodeMetadata(metadata),
        },
      });

    const tooBig = await create(MAX_BYTES + 1, { title: 'Too big', filetype: 'video/mp4' });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.text()).toMatch(/over the limit of 10485760 bytes/);
    const wrongType = await create(1000, { title: 'A picture', filetype: 'image/png' });
    expect(wrongType.status).toBe(415);
    expect(await wrongType.text()).toMatch(/image\/png is not accepted/);

    expect(await stagedUploads()).toEqual(before);
    // Allowed: any video/* type, a listed exact type, and no declared type at all.
    for (const filetype of ['video/mp4', 'application/mxf', undefined]) {
      const ok = await create(1000, { title: 'Fine', ...(filetype === undefined ? {} : { filetype }) });
      expect(ok.status, String(filetype)).toBe(201);
    }
  });

  it('refuses a malformed declared sha256 at creation with 400', async () => {
    const response = await fetch(`${ingest.baseUrl}/uploads/`, {
      method: 'POST',
      headers: {
        ...TUS_HEADERS,
        'Upload-Length': '10',
        'Upload-Metadata': encodeMetadata({ title: 'x', sha256: 'abc' }),
      },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/sha256 must be 64 hex digits/);
  });

  it('the same file uploaded twice is the same video with one transcode job; the copy is not kept', async () => {
    const completedBefore = await metricValue(ingest.registry, 'streamloop_ingest_uploads_completed_total');
    const first = await tusUpload(ingest.baseUrl, clip, {
      metadata: { title: 'Original', filename: 'clip.mp4', sha256: sha256Of(clip) },
    });
    const second = await tusUpload(ingest.baseUrl, clip, {
      metadata: { title: 'Again', filename: 'copy.mp4' },
    });

    expect(second.videoId).toBe(first.videoId);
    const secondUploadId = second.uploadUrl!.split('/').pop()!;
    expect(secondUploadId).not.toBe(first.videoId);
    expect(await getVideo(ingest.catalog, secondUploadId)).toBeUndefined();
    expect(await ingest.objectStore.head(`sources/${secondUploadId}`)).toBeNull();
    expect(await getVideo(ingest.catalog, first.videoId!)).toMatchObject({
      title: 'Original',
      sourceSha256: sha256Of(clip),
      owner: 'default',
    });
    await eventually('the first job', () => (jobs.forKey(first.videoId!).length > 0 ? true : undefined));
    expect(jobs.forKey(first.videoId!)).toHaveLength(1);
    expect(jobs.forKey(secondUploadId)).toEqual([]);
    expect(await metricValue(ingest.registry, 'streamloop_ingest_uploads_completed_total')).toBe(
      completedBefore + 1,
    );
    expect(await metricValue(ingest.registry, 'streamloop_ingest_uploads_deduplicated_total')).toBe(1);
  });
});
