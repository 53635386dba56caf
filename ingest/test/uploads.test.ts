import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createOutboxRelay } from '@streamloop/catalog/outbox-relay';
import { TranscodeJob } from '@streamloop/core/schemas/job';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { ALL_TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import {
  API_KEY,
  createUploadRequest,
  getJson,
  makeClip,
  metricValue,
  recordJobs,
  silentLogger,
  tusUpload,
} from './helpers.js';

const validateJob = createValidator(TranscodeJob);

describe('tus uploads on the embedded adapters (PGlite, in-process log, local folder)', () => {
  let ingest: EmbeddedIngest;
  let clip: Buffer;
  let jobs: Awaited<ReturnType<typeof recordJobs>>;

  beforeAll(async () => {
    ingest = await startEmbeddedIngest({ maxUploadBytes: 50 * 1024 * 1024 });
    clip = (await makeClip(ingest.dir)).bytes;
    jobs = await recordJobs(ingest.eventLog, uniqueName('jobs'));
  });
  afterAll(async () => {
    await jobs.stop();
    await ingest.teardown();
  });

  it('records a 3-chunk tus-js-client upload as an uploaded video with exactly one transcode job', async () => {
    const outcome = await tusUpload(ingest.baseUrl, clip, {
      metadata: { filename: 'clip.mp4', title: 'Test pattern' },
      chunks: 3,
    });

    const videoId = outcome.videoId;
    expect(videoId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(outcome.uploadUrl).toMatch(new RegExp(`/uploads/${videoId}$`));
    expect(outcome.exposedHeaders).toContain('X-Video-Id');

    const { status, body } = await getJson(ingest.baseUrl, `/api/v1/videos/${videoId}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: videoId,
      status: 'uploaded',
      title: 'Test pattern',
      filename: 'clip.mp4',
      sourceKey: `sources/${videoId}`,
      error: null,
    });

    const [job, ...more] = await eventually('the transcode job', () => {
      const found = jobs.forKey(videoId!);
      return found.length > 0 ? found : undefined;
    });
    expect(more).toEqual([]);
    const parsed = validateJob(JSON.parse(job!.value.toString('utf8')));
    expect(parsed.ok && parsed.value).toMatchObject({ videoId, sourceKey: `sources/${videoId}`, attempt: 1 });

    expect(await ingest.objectStore.getBuffer(`sources/${videoId}`)).toEqual(clip);
    // The staging copy is gone once the catalog has the video.
    expect(await readdir(path.join(ingest.dataDir, 'uploads'))).toEqual([]);
    expect(await metricValue(ingest.registry, 'streamloop_ingest_bytes_received_total')).toBe(clip.length);
    expect(await metricValue(ingest.registry, 'streamloop_ingest_uploads_completed_total')).toBe(1);
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong API key', 'not-the-api-key-at-all'],
  ])('answers 401 to an upload with %s and stores nothing', async (_case, apiKey) => {
    const before = await readdir(path.join(ingest.dataDir, 'uploads'));
    const response = await createUploadRequest(ingest.baseUrl, {
      length: 100,
      metadata: { title: 'x', filename: 'x.mp4' },
      ...(apiKey === undefined ? {} : { apiKey }),
    });
    expect(response.status).toBe(401);
    expect(await readdir(path.join(ingest.dataDir, 'uploads'))).toEqual(before);
  });

  it('rejects tus-js-client with 401 when it sends no key', async () => {
    await expect(
      tusUpload(ingest.baseUrl, clip, { metadata: { title: 't', filename: 'c.mp4' }, apiKey: undefined }),
    ).rejects.toThrow(/401/);
  });

  it.each([
    ['no title', { filename: 'clip.mp4' }, 400, /title/],
    ['an empty title', { filename: 'clip.mp4', title: '   ' }, 400, /title/],
    ['a videoId that is not an id', { title: 't', videoId: '../../etc' }, 400, /videoId/],
    ['a videoId nobody created', { title: 't', videoId: 'AAAAAAAAAAAAAAAAAAAAAA' }, 404, /no video/],
  ])('refuses an upload with %s', async (_case, metadata, status, message) => {
    const response = await createUploadRequest(ingest.baseUrl, { length: 100, metadata, apiKey: API_KEY });
    expect(response.status).toBe(status);
    expect(await response.text()).toMatch(message);
  });

  it('refuses an upload larger than maxUploadBytes with 413', async () => {
    const response = await createUploadRequest(ingest.baseUrl, {
      length: 50 * 1024 * 1024 + 1,
      metadata: { title: 'too big' },
      apiKey: API_KEY,
    });
    expect(response.status).toBe(413);
  });

  it('fills a video created through the API, and refuses a second source for it', async () => {
    const created = await fetch(`${ingest.baseUrl}/api/v1/videos`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Announced first', description: 'made before its upload' }),
    });
    expect(created.status).toBe(201);
    const video = (await created.json()) as { id: string; status: string };
    expect(video.status).toBe('waiting_upload');

    const outcome = await tusUpload(ingest.baseUrl, clip, {
      metadata: { filename: 'a.mp4', videoId: video.id },
    });
    expect(outcome.videoId).toBe(video.id);
    const { body } = await getJson(ingest.baseUrl, `/api/v1/videos/${video.id}`);
    expect(body).toMatchObject({ status: 'uploaded', title: 'Announced first', filename: 'a.mp4' });
    await eventually('the job', () => (jobs.forKey(video.id).length === 1 ? true : undefined));

    const again = await createUploadRequest(ingest.baseUrl, {
      length: 10,
      metadata: { videoId: video.id },
      apiKey: API_KEY,
    });
    expect(again.status).toBe(409);
  });

  it('answers the CORS preflight without a key', async () => {
    const response = await fetch(`${ingest.baseUrl}/uploads/`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST' },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
  });
});

describe('an upload whose completion failed part-way', () => {
  let ingest: EmbeddedIngest;
  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
  });
  afterAll(() => ingest.teardown());

  it('is recorded when the client asks for it again (HEAD), and names its video', async () => {
    const { bytes } = await makeClip(ingest.dir, 1);
    const auth = { Authorization: `Bearer ${API_KEY}`, 'Tus-Resumable': '1.0.0' };
    const created = await createUploadRequest(ingest.baseUrl, {
      length: bytes.length,
      metadata: { title: 'Interrupted', filename: 'i.mp4' },
      apiKey: API_KEY,
    });
    const uploadUrl = new URL(created.headers.get('location')!, ingest.baseUrl).toString();
    const videoId = uploadUrl.split('/').pop()!;

    // A real fault: the object store cannot stage files while its tmp folder is not a folder.
    const tmp = path.join(ingest.dataDir, 'objects', 'tmp');
    await rm(tmp, { recursive: true });
    await writeFile(tmp, 'not a folder');
    const patch = await fetch(uploadUrl, {
      method: 'PATCH',
      headers: { ...auth, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: bytes,
    });
    expect(patch.status).toBe(500);
    expect(await patch.text()).not.toMatch(/ENOTDIR|objects/);
    expect((await getJson(ingest.baseUrl, `/api/v1/videos/${videoId}`)).status).toBe(404);

    await rm(tmp);
    await mkdir(tmp);
    const head = await fetch(uploadUrl, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(head.headers.get('x-video-id')).toBe(videoId);
    expect((await getJson(ingest.baseUrl, `/api/v1/videos/${videoId}`)).body.status).toBe('uploaded');
    expect(await ingest.objectStore.getBuffer(`sources/${videoId}`)).toEqual(bytes);
  });
});

describe('outbox relay on the embedded adapters', () => {
  let ingest: EmbeddedIngest;

  beforeAll(async () => {
    // No topics yet: publishing fails for real (UnknownTopicError) after the catalog committed.
    ingest = await startEmbeddedIngest({ createTopics: false });
  });
  afterAll(() => ingest.teardown());

  it('publishes a job the upload committed but could not publish', async () => {
    const { bytes } = await makeClip(ingest.dir, 1);
    const outcome = await tusUpload(ingest.baseUrl, bytes, {
      metadata: { title: 'Relayed', filename: 'r.mp4' },
    });
    const videoId = outcome.videoId!;
    expect((await getJson(ingest.baseUrl, `/api/v1/videos/${videoId}`)).body.status).toBe('uploaded');

    await ingest.eventLog.ensureTopics(ALL_TOPICS);
    const jobs = await recordJobs(ingest.eventLog, uniqueName('relay'));
    const relay = createOutboxRelay({
      catalog: ingest.catalog,
      eventLog: ingest.eventLog,
      logger: silentLogger,
      minAgeMs: 0,
    });
    // The transcode job and the video.uploaded lifecycle event, both committed with the upload.
    expect(await relay.runOnce()).toBe(2);
    expect(await relay.runOnce()).toBe(0);
    await eventually('the relayed job', () => (jobs.forKey(videoId).length === 1 ? true : undefined));
    await jobs.stop();
  });
});
