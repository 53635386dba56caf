import { createApiKey } from '@streamloop/catalog/api-key-repository';
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

  it('names the DASH manifest the transcoder recorded, signed with the same token', async () => {
    const video = await addVideo(fixture, { ladder: { master: 'master.m3u8', dash: 'manifest.mpd' } });
    const body = (await playback(video.id)).json<{ manifestUrl: string; dashUrl: string }>();
    expect(body.dashUrl).toMatch(new RegExp(`^/media/${video.id}/manifest\\.mpd\\?token=`));
    const tokenOf = (url: string) => new URL(url, 'http://origin').searchParams.get('token');
    expect(tokenOf(body.dashUrl)).toBe(tokenOf(body.manifestUrl));
  });

  it('hands anyone a signed manifest URL for a public, ready video', async () => {
    const video = await addVideo(fixture);
    const res = await playback(video.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<{ manifestUrl: string; expiresAt: string; variant: string | null }>();
    expect(body).toEqual({
      manifestUrl: expect.stringMatching(new RegExp(`^/media/${video.id}/master\\.m3u8\\?token=`)),
      expiresAt: '2031-05-01T11:00:00.000Z',
      variant: null,
    });
    expect(body).not.toHaveProperty('dashUrl');
    const token = new URL(body.manifestUrl, 'http://origin').searchParams.get('token');
    expect(verifyPlaybackToken(token, SIGNING_SECRET, now)).toEqual({
      kind: 'ok',
      claims: { videoId: video.id, expiresAt: new Date(body.expiresAt) },
    });
  });

  it.each([
    { name: 'no Authorization header', headers: {} as Record<string, string> },
    { name: 'a wrong key', headers: { authorization: 'Bearer not-the-key-at-all' } },
    { name: 'the key under another scheme', headers: { authorization: `Basic ${API_KEY}` } },
  ])('refuses a signed video with $name (401)', async ({ headers }) => {
    const video = await addVideo(fixture, { playbackPolicy: 'signed' });
    const res = await playback(video.id, headers);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('ERR_UNAUTHORIZED');
  });

  it('hands the API key holder a URL for a signed video', async () => {
    const video = await addVideo(fixture, { playbackPolicy: 'signed' });
    const res = await playback(video.id, withKey);
    expect(res.statusCode).toBe(200);
    expect(res.json().manifestUrl).toContain(`/media/${video.id}/master.m3u8?token=`);
  });

  it("hands a scoped key its own owner's signed video and hides another owner's", async () => {
    const mine = await addVideo(fixture, { playbackPolicy: 'signed', owner: 'tenant-a' });
    const keyA = (await createApiKey(fixture.catalog, { owner: 'tenant-a', scopes: ['manage'] })).key;
    const keyB = (await createApiKey(fixture.catalog, { owner: 'tenant-b', scopes: ['manage'] })).key;
    const own = await playback(mine.id, { authorization: `Bearer ${keyA}` });
    expect(own.statusCode).toBe(200);
    expect(own.json().manifestUrl).toContain(`/media/${mine.id}/master.m3u8?token=`);
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
    videoId = (await addVideo(fixture)).id;
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
