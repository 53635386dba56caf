import type { AddressInfo } from 'node:net';
import { updateVideoStatus } from '@streamloop/catalog/video-repository';
import type { Registry } from '@streamloop/core/metrics';
import { eventually, metricValue } from '@streamloop/core/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaybackToken } from '../src/playback-token.js';
import {
  addVideo,
  buildDeliveryApp,
  childUris,
  type Fixture,
  type Ladder,
  openFixture,
  putLadder,
  rawGet,
  SIGNING_SECRET,
  tokenFor,
} from './fixtures.js';

describe('the origin under /media/:id/', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let registry: Registry;
  let videoId: string;
  let ladder: Ladder;
  let token: string;

  beforeAll(async () => {
    fixture = await openFixture();
    ({ app, registry } = await buildDeliveryApp(fixture));
    videoId = (await addVideo(fixture)).id;
    ladder = await putLadder(fixture.objectStore, videoId);
    token = tokenFor(videoId);
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });
  /** `null`: no token at all. */
  const media = (path: string, t: string | null = token) =>
    `/media/${videoId}/${path}${t === null ? '' : `?token=${encodeURIComponent(t)}`}`;

  describe('refuses without a valid token for this video (403)', () => {
    const tampered = () => {
      const [payload, signature] = token.split('.') as [string, string];
      const forged = Buffer.from(JSON.stringify({ v: videoId, exp: 4102444800 })).toString('base64url');
      return `${forged === payload ? `${payload}x` : forged}.${signature}`;
    };
    const cases: { name: string; token: () => string | null; code: string }[] = [
      { name: 'no token', token: () => null, code: 'ERR_TOKEN_INVALID' },
      { name: 'a tampered token', token: tampered, code: 'ERR_TOKEN_INVALID' },
      {
        name: 'an expired token',
        token: () => tokenFor(videoId, { expiresInS: -10 }),
        code: 'ERR_TOKEN_EXPIRED',
      },
      {
        name: "another video's token",
        token: () => tokenFor('another_video_0123'),
        code: 'ERR_TOKEN_INVALID',
      },
      {
        name: 'a token signed with another secret',
        token: () => tokenFor(videoId, { secret: 'x'.repeat(40) }),
        code: 'ERR_TOKEN_INVALID',
      },
      { name: 'garbage', token: () => 'garbage', code: 'ERR_TOKEN_INVALID' },
    ];
    const objects = ['master.m3u8', '720p/seg_00001.m4s', '360p/seg_00001.ts'];
    it.each(cases.flatMap((c) => objects.map((object) => ({ ...c, object }))))(
      '$object with $name → $code',
      async ({ object, token: makeToken, code }) => {
        const res = await get(media(object, makeToken()));
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe(code);
      },
    );
  });

  it('serves the master playlist with every child URI carrying the same token', async () => {
    const res = await get(media('master.m3u8'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    const children = childUris(res.body);
    expect(children).toEqual(
      ['subs/en.m3u8', '720p/index.m3u8', '360p/index.m3u8', '720p/iframes.m3u8'].map(
        (uri) => `${uri}?token=${token}`,
      ),
    );
  });

  it('lets a player that only knows the master URL reach every object of the ladder', async () => {
    // Crawl like a player: resolve each child against its playlist's URL and fetch it.
    const fetched = new Set<string>();
    const queue = [new URL(media('master.m3u8'), 'http://origin')];
    while (queue.length > 0) {
      const url = queue.shift()!;
      const res = await get(url.pathname + url.search);
      expect(res.statusCode, url.pathname).toBe(200);
      fetched.add(url.pathname.slice(`/media/${videoId}/`.length));
      if (url.pathname.endsWith('.m3u8')) {
        for (const child of childUris(res.body)) {
          const next = new URL(child, url);
          expect(next.searchParams.get('token'), child).toBe(token);
          if (!fetched.has(next.pathname.slice(`/media/${videoId}/`.length))) queue.push(next);
        }
      } else {
        expect(
          res.rawPayload.equals(ladder.files.get(url.pathname.slice(`/media/${videoId}/`.length))!),
        ).toBe(true);
      }
    }
    expect([...fetched].sort()).toEqual(
      [...ladder.files.keys()].filter((p) => p !== 'thumbs/poster.jpg').sort(),
    );
  });

  it.each([
    { path: 'master.m3u8', type: 'application/vnd.apple.mpegurl', cache: 'public, max-age=10' },
    { path: '720p/index.m3u8', type: 'application/vnd.apple.mpegurl', cache: 'public, max-age=10' },
    { path: '360p/seg_00001.ts', type: 'video/mp2t', cache: 'public, max-age=31536000, immutable' },
    { path: '720p/seg_00001.m4s', type: 'video/iso.segment', cache: 'public, max-age=31536000, immutable' },
    { path: '720p/init.mp4', type: 'video/mp4', cache: 'public, max-age=31536000, immutable' },
    { path: 'subs/en_00001.vtt', type: 'text/vtt', cache: 'public, max-age=31536000, immutable' },
    { path: 'thumbs/poster.jpg', type: 'image/jpeg', cache: 'public, max-age=31536000, immutable' },
  ])(
    'serves $path as $type with Cache-Control "$cache", Content-Length and an ETag',
    async ({ path, type, cache }) => {
      const res = await get(media(path));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['cache-control']).toBe(cache);
      expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
      expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    },
  );

  it('answers a byte range with 206 and exactly those bytes', async () => {
    const whole = ladder.files.get('720p/seg_00001.m4s')!;
    const res = await get(media('720p/seg_00001.m4s'), { range: 'bytes=1000-1999' });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 1000-1999/${whole.length}`);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.rawPayload.equals(whole.subarray(1000, 2000))).toBe(true);
  });

  it.each([
    { range: 'bytes=149000-', from: 149_000, to: 149_999 },
    { range: 'bytes=-500', from: 149_500, to: 149_999 },
    { range: 'bytes=0-999999', from: 0, to: 149_999 },
  ])('answers Range: $range with bytes $from-$to', async ({ range, from, to }) => {
    const whole = ladder.files.get('720p/seg_00001.m4s')!;
    const res = await get(media('720p/seg_00001.m4s'), { range });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${from}-${to}/${whole.length}`);
    expect(res.rawPayload.equals(whole.subarray(from, to + 1))).toBe(true);
  });

  it('answers a range past the end with 416 and the size', async () => {
    const res = await get(media('720p/seg_00001.m4s'), { range: 'bytes=150000-' });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */150000');
  });

  it('serves the whole object when If-Range names an older version', async () => {
    const res = await get(media('720p/seg_00001.m4s'), { range: 'bytes=0-9', 'if-range': '"stale"' });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toHaveLength(150_000);
  });

  it('answers a matching If-None-Match with 304 and no body', async () => {
    for (const path of ['720p/seg_00001.m4s', 'master.m3u8']) {
      const first = await get(media(path));
      const again = await get(media(path), { 'if-none-match': first.headers.etag as string });
      expect(again.statusCode, path).toBe(304);
      expect(again.rawPayload, path).toHaveLength(0);
    }
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await app.inject({ method: 'HEAD', url: media('720p/seg_00001.m4s') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('150000');
    expect(res.headers['content-type']).toBe('video/iso.segment');
    expect(res.rawPayload).toHaveLength(0);
  });

  it.each([
    { name: 'an object the ladder does not have', path: '720p/seg_99999.m4s', code: 'ERR_NOT_FOUND' },
    { name: 'a playlist the ladder does not have', path: '1080p/index.m3u8', code: 'ERR_NOT_FOUND' },
    { name: 'a file type the origin does not serve', path: 'source.mov', code: 'ERR_NOT_FOUND' },
  ])('answers 404 for $name', async ({ path, code }) => {
    const res = await get(media(path));
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe(code);
  });

  it('answers 404 for an unknown video, even with a token we signed for it', async () => {
    const ghost = 'deleted_video_12345';
    const res = await get(`/media/${ghost}/master.m3u8?token=${tokenFor(ghost)}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ERR_NOT_FOUND');
  });

  it('answers 404 ERR_VIDEO_NOT_READY until the video is ready, then serves it', async () => {
    const video = await addVideo(fixture, { status: 'processing' });
    await putLadder(fixture.objectStore, video.id);
    const url = `/media/${video.id}/master.m3u8?token=${tokenFor(video.id)}`;
    const res = await get(url);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ERR_VIDEO_NOT_READY');
    await updateVideoStatus(fixture.catalog, video.id, { status: 'ready' });
    await eventually('the origin to notice the video is ready', async () =>
      (await get(url)).statusCode === 200 ? true : undefined,
    );
  });

  it('refuses path traversal as sent on the wire (400), never reading outside the video', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const other = (await addVideo(fixture)).id;
    await putLadder(fixture.objectStore, other);
    for (const path of [
      `/media/${videoId}/../${other}/master.m3u8`,
      `/media/${videoId}/%2e%2e/${other}/master.m3u8`,
      `/media/${videoId}/720p/..%2f..%2f${other}%2fmaster.m3u8`,
      `/media/${videoId}/720p%5c..%5cseg_00001.ts`,
    ]) {
      const res = await rawGet(port, `${path}?token=${token}`);
      expect(res.status, path).toBe(400);
    }
  });

  it('counts requests by route and status, and the media bytes it sent', async () => {
    const before = await bytesSent(registry);
    const res = await get(media('360p/seg_00002.ts'));
    expect(res.statusCode).toBe(200);
    expect((await bytesSent(registry)) - before).toBe(70_000);
    const text = await registry.metrics();
    expect(text).toMatch(/streamloop_delivery_requests_total\{route="\/media\/:id\/\*",status="200"\} \d+/);
    expect(text).toMatch(/streamloop_delivery_requests_total\{route="\/media\/:id\/\*",status="403"\} \d+/);
  });
});

describe('GET /internal/token-check (the edge asks before serving /media/)', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let videoId: string;
  let notReadyId: string;

  beforeAll(async () => {
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture));
    videoId = (await addVideo(fixture)).id;
    notReadyId = (await addVideo(fixture, { status: 'processing' })).id;
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  const expired = (id: string) =>
    createPlaybackToken({ videoId: id, expiresAt: new Date(Date.now() - 60_000) }, SIGNING_SECRET);

  it.each([
    {
      name: 'a valid token',
      uri: () => `/media/${videoId}/720p/seg_00001.m4s?token=${tokenFor(videoId)}`,
      status: 204,
    },
    {
      name: 'no token',
      uri: () => `/media/${videoId}/720p/seg_00001.m4s`,
      status: 403,
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'an expired token',
      uri: () => `/media/${videoId}/master.m3u8?token=${expired(videoId)}`,
      status: 403,
      code: 'ERR_TOKEN_EXPIRED',
    },
    {
      name: "another video's token",
      uri: () => `/media/${videoId}/master.m3u8?token=${tokenFor(notReadyId)}`,
      status: 403,
      code: 'ERR_TOKEN_INVALID',
    },
    {
      name: 'an encoded traversal into another video (the edge would cache it under that video)',
      uri: () => `/media/${videoId}/%2e%2e/${notReadyId}/master.m3u8?token=${tokenFor(videoId)}`,
      status: 400,
      code: 'ERR_BAD_REQUEST',
    },
    {
      name: 'an unknown video',
      uri: () => `/media/unknown_video_1234/a.ts?token=${tokenFor('unknown_video_1234')}`,
      status: 404,
      code: 'ERR_NOT_FOUND',
    },
    {
      name: 'a video not ready',
      uri: () => `/media/${notReadyId}/master.m3u8?token=${tokenFor(notReadyId)}`,
      status: 404,
      code: 'ERR_VIDEO_NOT_READY',
    },
  ])('answers $status for $name, with no body', async ({ uri, status, code }) => {
    const res = await app.inject({
      method: 'GET',
      url: '/internal/token-check',
      headers: { 'x-original-uri': uri() },
    });
    expect(res.statusCode).toBe(status);
    expect(res.body).toBe('');
    expect(res.headers['x-streamloop-error']).toBe(code);
  });

  it('answers 400 without X-Original-URI', async () => {
    const res = await app.inject({ method: 'GET', url: '/internal/token-check' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toBe('');
  });
});

const bytesSent = (registry: Registry) => metricValue(registry, 'streamloop_delivery_bytes_sent_total');
