/**
 * Adding a ladder to a ready video through the API: one transcode job naming the stored ladder, none
 * for a repeat; clear refusals for what cannot be encoded (unknown ladder, the primary one, a video
 * not ready, someone else's video) with nothing queued.
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { createLadderVersion } from '@streamloop/catalog/ladder-repository';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { TranscodeJob } from '@streamloop/core/schemas/job';
import { eventually, makeLadderRecord, makePackagedRendition, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { API_KEY, callJson, recordJobs } from './helpers.js';

const primary = makeLadderRecord({
  renditions: [makePackagedRendition({ storageBytes: 4_000_000 })],
  audio: undefined,
});

describe('ladders of a video', () => {
  let ingest: EmbeddedIngest;
  let jobs: Awaited<ReturnType<typeof recordJobs>>;
  let tenantKey: string;
  const call = (method: string, route: string, body?: unknown, key = API_KEY) =>
    callJson(ingest.baseUrl, key, method, route, body);
  const readyVideo = async (owner = 'default') =>
    (
      await insertVideo(ingest.catalog, {
        title: 'clip',
        status: 'ready',
        owner,
        sourceKey: 'sources/x/source',
        ladder: primary,
      })
    ).id;

  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
    jobs = await recordJobs(ingest.eventLog, uniqueName('jobs'));
    tenantKey = (await createApiKey(ingest.catalog, { owner: 'tenant-b', scopes: ['manage'] })).key;
    const phone = { ...DEFAULT_LADDER, id: 'phone', rungs: DEFAULT_LADDER.rungs.slice(0, 2) };
    const { version: _v, ...definition } = phone;
    await createLadderVersion(ingest.catalog, definition, 'test');
    await createLadderVersion(ingest.catalog, { ...definition, audioBitrateKbps: 64 }, 'test');
    await createLadderVersion(
      ingest.catalog,
      { id: 'top-three', derivedFrom: { ladderId: 'default' }, filter: { minHeight: 480 } },
      'test',
    );
  });
  afterAll(async () => {
    await jobs?.stop();
    await ingest?.teardown();
  });

  it('queues one job for the newest version of a ladder, and none when asked again', async () => {
    const videoId = await readyVideo();
    const added = await call('POST', `/api/v1/videos/${videoId}/ladders`, { ladderId: 'phone' });
    expect(added.status).toBe(202);
    expect(added.body).toMatchObject({ videoId, ladderId: 'phone', ladderVersion: 2, status: 'queued' });

    const job = await eventually('the ladder job on transcode-jobs', async () => {
      const found = jobs.forKey(videoId);
      return found.length > 0 ? (JSON.parse(found[0]!.value.toString()) as TranscodeJob) : undefined;
    });
    expect(job).toMatchObject({
      videoId,
      sourceKey: 'sources/x/source',
      ladder: { id: 'phone', version: 2 },
    });

    const again = await call('POST', `/api/v1/videos/${videoId}/ladders`, { ladderId: 'phone', version: 2 });
    expect([again.status, again.body.status]).toEqual([200, 'queued']);
    const older = await call('POST', `/api/v1/videos/${videoId}/ladders`, { ladderId: 'phone', version: 1 });
    expect([older.status, older.body.ladderVersion]).toEqual([202, 1]);
    await eventually('the second job', async () => (jobs.forKey(videoId).length === 2 ? true : undefined));

    const listed = await call('GET', `/api/v1/videos/${videoId}/ladders`);
    expect(listed.body.primary).toEqual({ ladderId: 'default', ladderVersion: 2, storageBytes: 4_000_000 });
    expect(
      listed.body.ladders.map((l: { ladderId: string; ladderVersion: number }) => [
        l.ladderId,
        l.ladderVersion,
      ]),
    ).toEqual([['phone', 1]]);
  });

  it.each([
    ['an unknown ladder', { ladderId: 'nope' }, 404, 'ERR_NOT_FOUND', "no ladder 'nope'"],
    [
      'a version that does not exist',
      { ladderId: 'phone', version: 7 },
      404,
      'ERR_NOT_FOUND',
      "ladder 'phone' has no version 7",
    ],
    [
      'the primary ladder',
      { ladderId: 'default' },
      409,
      'ERR_CONFLICT',
      'primary ladder; add a ladder with another id',
    ],
    [
      'a derived ladder',
      { ladderId: 'top-three' },
      409,
      'ERR_CONFLICT',
      "derived from 'default': it is served from that ladder's encode",
    ],
    ['a misspelt field', { ladder: 'phone' }, 400, 'ERR_VALIDATION', 'ladderId'],
  ])('refuses %s and queues nothing', async (_what, body, status, code, message) => {
    const videoId = await readyVideo();
    const res = await call('POST', `/api/v1/videos/${videoId}/ladders`, body);
    expect([res.status, res.body.error.code]).toEqual([status, code]);
    expect(res.body.error.message).toContain(message);
    expect((await call('GET', `/api/v1/videos/${videoId}/ladders`)).body.ladders).toEqual([]);
    expect(jobs.forKey(videoId)).toEqual([]);
  });

  it('refuses a video that is not ready yet, and one of another owner as missing', async () => {
    const waiting = (
      await insertVideo(ingest.catalog, {
        title: 'clip',
        status: 'processing',
        sourceKey: 'sources/y/source',
      })
    ).id;
    const notReady = await call('POST', `/api/v1/videos/${waiting}/ladders`, { ladderId: 'phone' });
    expect([notReady.status, notReady.body.error.message]).toEqual([
      409,
      `video ${waiting} is processing: other ladders can be added once it is ready`,
    ]);
    const videoId = await readyVideo('tenant-a');
    const foreign = await call('POST', `/api/v1/videos/${videoId}/ladders`, { ladderId: 'phone' }, tenantKey);
    expect(foreign.status).toBe(404);
    expect(jobs.forKey(videoId)).toEqual([]);
  });
});
