/**
 * The playback API over ladders transcode really made: one short clip is encoded and published once
 * (published-ladder.ts), every ready video here carries its record, and the URLs the API hands out are
 * followed through the origin to the manifests that encode wrote.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { type NewVideo, newVideoId } from '@streamloop/catalog/video-repository';
import { ladderFolder, mediaKey } from '@streamloop/core/object-layout';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPlaybackToken } from '../src/playback-token.js';
import {
  API_KEY,
  addVideo,
  buildDeliveryApp,
  type Fixture,
  openFixture,
  SIGNING_SECRET,
} from './fixtures.js';
import { type EncodedClip, encodeTestClip, publishTestClip } from './published-ladder.js';

let workDir: string;
let clip: EncodedClip;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-playback-'));
  clip = await encodeTestClip(workDir);
}, 120_000);
afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** A ready video whose ladder is the real encode's record. */
const addEncodedVideo = (fixture: Fixture, overrides: Partial<NewVideo> = {}) =>
  addVideo(fixture, { ladder: clip.record, durationMs: clip.durationMs, ...overrides });

/** The record as transcode stored it before ladder folders: everything flat under `media/<id>/`. */
function flatRecord(videoId: string, record: LadderRecord): LadderRecord {
  const flat = (recordPath: string) => recordPath.slice(ladderFolder(record.ladderId).length);
  const { dash: _dash, thumbnails: _thumbnails, ...rest } = record;
  return { ...rest, master: mediaKey(videoId, flat(record.master)), poster: flat(record.poster) };
}

const withKey = { authorization: `Bearer ${API_KEY}` };

describe('GET /api/v1/videos/:id/playback', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  const now = new Date('2031-05-01T10:00:00.250Z');

  beforeAll(async () => {
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture, { now: () => now, tokenTtlS: 3600 }));
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  const playback = (id: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url: `/api/v1/videos/${id}/playback`, headers });

  /** Follows a URL from the playback response through the origin (the token in it must open it). */
  const fetchMedia = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode, url).toBe(200);
    return res;
  };

  it('hands out the HLS master and the DASH MPD transcode published, both opened by one token', async () => {
    const video = await addEncodedVideo(fixture);
    await publishTestClip(fixture.objectStore, video.id, clip);
    const body = (await playback(video.id)).json<PlaybackResponse>();
    expect(body.manifestUrl).toMatch(new RegExp(`^/media/${video.id}/[a-z0-9-]+/master\\.m3u8\\?token=`));
    expect(body.dashUrl).toMatch(new RegExp(`^/media/${video.id}/[a-z0-9-]+/manifest\\.mpd\\?token=`));
    // The ladder named in the response is the folder its URLs point into.
    expect(body.manifestUrl.startsWith(`/media/${video.id}/${body.ladderId}/`)).toBe(true);
    const tokenOf = (url: string) => new URL(url, 'http://origin').searchParams.get('token');
    expect(tokenOf(body.dashUrl!)).toBe(tokenOf(body.manifestUrl));

    const master = await fetchMedia(body.manifestUrl);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(master.body).toMatch(/^#EXTM3U/);
    expect(master.body).toContain('#EXT-X-STREAM-INF:');
    const mpd = await fetchMedia(body.dashUrl!);
    expect(mpd.headers['content-type']).toBe('application/dash+xml');
    expect(mpd.body).toContain('<MPD');
    // Every rendition the record lists is in the MPD the URL names.
    for (const rendition of clip.record.renditions) expect(mpd.body).toContain(`id="${rendition.name}"`);
  });

  it('keeps serving a video published before ladder folders and DASH (a flat, older record)', async () => {
    const id = newVideoId();
    await addVideo(fixture, { id, ladder: flatRecord(id, clip.record) });
    const body = (await playback(id)).json<PlaybackResponse>();
    expect(body.manifestUrl).toMatch(new RegExp(`^/media/${id}/master\\.m3u8\\?token=`));
    expect(body).not.toHaveProperty('dashUrl');
  });

  it('answers 404 ERR_VIDEO_NOT_READY for a ready video without a published ladder', async () => {
    const res = await playback((await addVideo(fixture)).id);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ERR_VIDEO_NOT_READY');
  });

  it('hands anyone a signed manifest URL for a public, ready video', async () => {
    const video = await addEncodedVideo(fixture);
    const res = await playback(video.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<PlaybackResponse>();
    expect(body).toEqual({
      manifestUrl: expect.stringMatching(new RegExp(`^/media/${video.id}/.+\\.m3u8\\?token=`)),
      dashUrl: expect.stringMatching(new RegExp(`^/media/${video.id}/.+\\.mpd\\?token=`)),
      expiresAt: '2031-05-01T11:00:00.000Z',
      variant: null,
      // The default ladder (docs/README.md: `default` v2), which the SDK copies onto beacons.
      ladderId: 'default',
      ladderVersion: 2,
    });
    const token = new URL(body.manifestUrl, 'http://origin').searchParams.get('token');
    expect(verifyPlaybackToken(token, SIGNING_SECRET, now)).toEqual({
      kind: 'ok',
      // It opens the ladder it was issued for, nothing else of the video (playback-ladders.test.ts).
      claims: { videoId: video.id, expiresAt: new Date(body.expiresAt), ladder: { folder: 'default' } },
    });
  });

  it.each([
    { value: '1', synthetic: true },
    { value: 'true', synthetic: true },
    { value: '0', synthetic: false },
    { value: 'false', synthetic: false },
  ])(
    'answers ?synthetic=$value with the mark on the answer and in the token: $synthetic',
    async ({ value, synthetic }) => {
      const video = await addEncodedVideo(fixture);
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/videos/${video.id}/playback?synthetic=${value}`,
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<PlaybackResponse>();
      // A real viewer's answer and token carry no mark at all (absent means real).
      const mark = synthetic ? { synthetic: true } : {};
      expect(body).toEqual(expect.objectContaining(mark));
      if (!synthetic) expect(body).not.toHaveProperty('synthetic');
      const token = new URL(body.manifestUrl, 'http://origin').searchParams.get('token');
      expect(verifyPlaybackToken(token, SIGNING_SECRET, now)).toEqual({
        kind: 'ok',
        claims: {
          videoId: video.id,
          expiresAt: new Date(body.expiresAt),
          ladder: { folder: 'default' },
          ...mark,
        },
      });
    },
  );

  it.each([
    { name: 'a typo', query: 'synthetic=yes', shown: '"yes"' },
    { name: 'an empty value', query: 'synthetic=', shown: '""' },
    { name: 'the parameter twice', query: 'synthetic=1&synthetic=1', shown: '["1","1"]' },
    { name: "a name of Object.prototype's", query: 'synthetic=constructor', shown: '"constructor"' },
  ])('refuses ?synthetic= with $name: 400 ERR_VALIDATION naming the parameter', async ({ query, shown }) => {
    const video = await addEncodedVideo(fixture);
    const res = await app.inject({ method: 'GET', url: `/api/v1/videos/${video.id}/playback?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'ERR_VALIDATION',
      message: `query parameter "synthetic" must be 1 or true (a simulated viewer) or 0 or false, got ${shown}`,
    });
  });

  it.each([
    { name: 'no Authorization header', headers: {} as Record<string, string> },
    { name: 'a wrong key', headers: { authorization: 'Bearer not-the-key-at-all' } },
    { name: 'the key under another scheme', headers: { authorization: `Basic ${API_KEY}` } },
  ])('refuses a signed video with $name (401)', async ({ headers }) => {
    const video = await addEncodedVideo(fixture, { playbackPolicy: 'signed' });
    const res = await playback(video.id, headers);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('ERR_UNAUTHORIZED');
  });

  it('hands the API key holder a URL for a signed video', async () => {
    const video = await addEncodedVideo(fixture, { playbackPolicy: 'signed' });
    const res = await playback(video.id, withKey);
    expect(res.statusCode).toBe(200);
    expect(res.json().manifestUrl).toContain(`/media/${video.id}/${clip.record.master}?token=`);
  });

  it("hands a scoped key its own owner's signed video and hides another owner's", async () => {
    const mine = await addEncodedVideo(fixture, { playbackPolicy: 'signed', owner: 'tenant-a' });
    const keyA = (await createApiKey(fixture.catalog, { owner: 'tenant-a', scopes: ['manage'] })).key;
    const keyB = (await createApiKey(fixture.catalog, { owner: 'tenant-b', scopes: ['manage'] })).key;
    const own = await playback(mine.id, { authorization: `Bearer ${keyA}` });
    expect(own.statusCode).toBe(200);
    expect(own.json().manifestUrl).toContain(`/media/${mine.id}/${clip.record.master}?token=`);
    const other = await playback(mine.id, { authorization: `Bearer ${keyB}` });
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('ERR_NOT_FOUND');
    // The operator's key sees every owner's videos.
    expect((await playback(mine.id, withKey)).statusCode).toBe(200);
  });

  it.each(['waiting_upload', 'uploaded', 'processing', 'failed'] as const)(
    'answers 404 ERR_VIDEO_NOT_READY for a %s video',
    async (status) => {
      const video = await addVideo(fixture, { status });
      const res = await playback(video.id);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('ERR_VIDEO_NOT_READY');
    },
  );

  it('answers 404 ERR_NOT_FOUND for an unknown video', async () => {
    const res = await playback('no_such_video_123456');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ERR_NOT_FOUND');
  });

  it('answers 400 for an id that cannot be a video id', async () => {
    const res = await playback('x');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('ERR_VALIDATION');
  });
});

describe('the public playback rate limit', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let videoId: string;

  beforeAll(async () => {
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture, { publicRateLimit: { max: 3, timeWindowMs: 60_000 } }));
    videoId = (await addEncodedVideo(fixture)).id;
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  const playbackFrom = (remoteAddress: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url: `/api/v1/videos/${videoId}/playback`, remoteAddress, headers });

  it('answers 429 ERR_RATE_LIMITED with Retry-After once an address is over its limit', async () => {
    for (let i = 0; i < 3; i++) expect((await playbackFrom('198.51.100.1')).statusCode).toBe(200);
    const limited = await playbackFrom('198.51.100.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('ERR_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('cannot be dodged with a rotating X-Forwarded-For', async () => {
    for (let i = 0; i < 3; i++) await playbackFrom('198.51.100.2', { 'x-forwarded-for': `203.0.113.${i}` });
    const res = await playbackFrom('198.51.100.2', { 'x-forwarded-for': '203.0.113.99' });
    expect(res.statusCode).toBe(429);
  });

  it('limits each address on its own', async () => {
    for (let i = 0; i < 4; i++) await playbackFrom('198.51.100.3');
    expect((await playbackFrom('198.51.100.4')).statusCode).toBe(200);
  });

  it('never limits a caller with the API key', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await playbackFrom('198.51.100.5', withKey)).statusCode).toBe(200);
    }
  });
});
