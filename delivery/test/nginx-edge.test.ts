/**
 * Debian's nginx for real, with the rendered streamloop config, in front of a delivery app on an
 * ephemeral port (and small stand-ins for the other services): the edge cache keys segments on the
 * path alone, yet never serves one — hit or miss — to a request whose token the origin refuses.
 */
import type { AddressInfo } from 'node:net';
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { uniqueName } from '@streamloop/core/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BeaconLog, cmcdHeaders, cmcdQuery, openBeaconLog, playerCmcd } from './beacon-log.js';
import {
  addVideo,
  buildDeliveryApp,
  childUris,
  type Fixture,
  HANDWRITTEN_LADDER_RECORD,
  type Ladder,
  openFixture,
  putLadder,
  rawGet,
  tokenFor,
} from './fixtures.js';
import { type RunningNginx, type StubService, startNginx, startStub } from './nginx.js';

describe('nginx edge and gateway in front of delivery', () => {
  let fixture: Fixture;
  let log: BeaconLog;
  let app: FastifyInstance;
  let nginx: RunningNginx;
  const stubs: Record<string, StubService> = {};
  let videoId: string;
  let ladder: Ladder;

  beforeAll(async () => {
    fixture = await openFixture();
    log = await openBeaconLog();
    ({ app } = await buildDeliveryApp(fixture, {
      eventLog: log.eventLog,
      cmcdBuffer: { flushIntervalMs: 20 },
    }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const delivery = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const name of ['ingest', 'beacon-collector', 'analytics', 'dashboards'])
      stubs[name] = await startStub(name);
    nginx = await startNginx({
      INGEST_UPSTREAM: stubs.ingest!.address,
      DELIVERY_UPSTREAM: delivery,
      BEACON_COLLECTOR_UPSTREAM: stubs['beacon-collector']!.address,
      ANALYTICS_UPSTREAM: stubs.analytics!.address,
      DASHBOARDS_UPSTREAM: stubs.dashboards!.address,
    });
    videoId = (await addVideo(fixture, { ladder: HANDWRITTEN_LADDER_RECORD })).id;
    ladder = await putLadder(fixture.objectStore, videoId);
  });
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(Object.values(stubs).map((s) => s.close()));
    await app?.close();
    await log?.close();
    await fixture?.close();
  });

  const edge = (pathAndQuery: string, headers: Record<string, string> = {}) =>
    fetch(nginx.baseUrl + pathAndQuery, { headers });
  const segment = (path: string, token: string | null) =>
    `/media/${videoId}/${path}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
  const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

  describe('/media/ edge cache', () => {
    it('fetches a segment from the origin once (MISS), then serves it from the cache (HIT)', async () => {
      const token = tokenFor(videoId);
      const first = await edge(segment('720p/seg_00001.m4s', token));
      expect(first.status).toBe(200);
      expect(first.headers.get('x-cache-status')).toBe('MISS');
      expect((await bytes(first)).equals(ladder.files.get('720p/seg_00001.m4s')!)).toBe(true);

      const second = await edge(segment('720p/seg_00001.m4s', token));
      expect(second.status).toBe(200);
      expect(second.headers.get('x-cache-status')).toBe('HIT');
      expect(second.headers.get('content-type')).toBe('video/iso.segment');
      expect(second.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await bytes(second)).equals(ladder.files.get('720p/seg_00001.m4s')!)).toBe(true);
    });

    it('keys the cache on the path alone: another viewer with another valid token gets the HIT', async () => {
      await (await edge(segment('360p/seg_00001.ts', tokenFor(videoId, { expiresInS: 600 })))).arrayBuffer();
      const other = await edge(segment('360p/seg_00001.ts', tokenFor(videoId, { expiresInS: 7200 })));
      expect(other.status).toBe(200);
      expect(other.headers.get('x-cache-status')).toBe('HIT');
      expect((await bytes(other)).equals(ladder.files.get('360p/seg_00001.ts')!)).toBe(true);
    });

    it.each([
      { name: 'no token', token: () => null, code: 'ERR_TOKEN_INVALID' },
      {
        name: 'a tampered token',
        token: () => `${tokenFor(videoId).slice(0, -2)}AA`,
        code: 'ERR_TOKEN_INVALID',
      },
      {
        name: 'an expired token',
        token: () => tokenFor(videoId, { expiresInS: -60 }),
        code: 'ERR_TOKEN_EXPIRED',
      },
      {
        name: "another video's token",
        token: () => tokenFor('another_video_0123'),
        code: 'ERR_TOKEN_INVALID',
      },
    ])('still refuses a cached segment to a request with $name (403 $code)', async ({ token, code }) => {
      const cached = segment('720p/seg_00002.m4s', tokenFor(videoId));
      await (await edge(cached)).arrayBuffer();
      expect((await edge(cached)).headers.get('x-cache-status')).toBe('HIT');

      const res = await edge(segment('720p/seg_00002.m4s', token()));
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    });

    it('refuses the master playlist without a valid token (403)', async () => {
      for (const token of [null, tokenFor(videoId, { expiresInS: -60 })]) {
        expect((await edge(segment('master.m3u8', token))).status).toBe(403);
      }
    });

    it("never hands one viewer's playlist (with their token inside) to another", async () => {
      const alice = tokenFor(videoId, { expiresInS: 100 });
      const bob = tokenFor(videoId, { expiresInS: 200 });
      for (const token of [alice, bob, alice]) {
        const res = await edge(segment('master.m3u8', token));
        expect(res.status).toBe(200);
        const children = childUris(await res.text());
        expect(children.length).toBeGreaterThan(0);
        for (const child of children)
          expect(new URL(child, 'http://x/').searchParams.get('token')).toBe(token);
      }
    });

    it('serves byte ranges of cached segments (206)', async () => {
      const whole = ladder.files.get('360p/seg_00002.ts')!;
      const token = tokenFor(videoId);
      for (const expected of ['MISS', 'HIT']) {
        const res = await edge(segment('360p/seg_00002.ts', token), { range: 'bytes=100-199' });
        expect(res.status).toBe(206);
        expect(res.headers.get('x-cache-status')).toBe(expected);
        expect(res.headers.get('content-range')).toBe(`bytes 100-199/${whole.length}`);
        expect((await bytes(res)).equals(whole.subarray(100, 200))).toBe(true);
      }
    });

    it('answers 404 for an unknown video and for one not ready, as JSON errors', async () => {
      const processing = (await addVideo(fixture, { status: 'processing' })).id;
      const cases = [
        {
          uri: `/media/unknown_video_1234/master.m3u8?token=${tokenFor('unknown_video_1234')}`,
          code: 'ERR_NOT_FOUND',
        },
        {
          uri: `/media/${processing}/master.m3u8?token=${tokenFor(processing)}`,
          code: 'ERR_VIDEO_NOT_READY',
        },
      ];
      for (const { uri, code } of cases) {
        const res = await edge(uri);
        expect(res.status, uri).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
      }
    });

    it('refuses an encoded traversal that the cache would file under another video (400)', async () => {
      const other = (await addVideo(fixture)).id;
      await putLadder(fixture.objectStore, other);
      const { port } = new URL(nginx.baseUrl);
      // Sent byte for byte: fetch would resolve the dot segment itself before nginx saw it.
      const res = await rawGet(
        Number(port),
        `/media/${videoId}/%2e%2e/${other}/720p/init.mp4?token=${tokenFor(videoId)}`,
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe('ERR_BAD_REQUEST');
    });

    it('keeps tokens out of its access log', async () => {
      const log = await nginx.accessLog();
      expect(log).toContain(`/media/${videoId}/720p/seg_00001.m4s`);
      expect(log).not.toContain('token=');
    });
  });

  describe('CMCD through the edge', () => {
    it('serves token + CMCD URLs from one cache entry and sees the CMCD of hits and misses alike', async () => {
      const sid = uniqueName('session');
      const url = (bl: number) =>
        `${segment('720p/init.mp4', tokenFor(videoId))}&${cmcdQuery(playerCmcd(sid, { bl }))}`;
      const miss = await edge(url(1000));
      expect(miss.status).toBe(200);
      expect(miss.headers.get('x-cache-status')).toBe('MISS');
      expect((await bytes(miss)).equals(ladder.files.get('720p/init.mp4')!)).toBe(true);
      const hit = await edge(url(3000));
      expect(hit.status).toBe(200);
      expect(hit.headers.get('x-cache-status')).toBe('HIT');
      expect((await bytes(hit)).equals(ladder.files.get('720p/init.mp4')!)).toBe(true);

      // The miss reached the token check and the origin (one beacon id), the hit the token check only.
      const beacons = await log.waitFor(sid, 3);
      const byBufferLength = new Map(beacons.map((b) => [b.cmcd?.bl, b.beaconId]));
      expect([...byBufferLength.keys()].sort()).toEqual([1000, 3000]);
      expect(new Set(beacons.map((b) => b.beaconId)).size).toBe(2);
      expect(beacons.every((b) => b.cmcd?.path === '720p/init.mp4' && b.videoId === videoId)).toBe(true);
    });

    it('passes CMCD headers to the token check, so a cache hit in header mode is seen too', async () => {
      const path = '360p/seg_00002.ts';
      await (await edge(segment(path, tokenFor(videoId)))).arrayBuffer();
      const sid = uniqueName('session');
      const res = await edge(segment(path, tokenFor(videoId)), cmcdHeaders(playerCmcd(sid)));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache-status')).toBe('HIT');
      const [beacon] = await log.waitFor(sid, 1);
      expect(beacon?.cmcd).toMatchObject({ sid, br: 3200, ot: 'v', path });
    });

    it('answers the CORS preflight of CMCD header mode through the edge', async () => {
      const res = await fetch(nginx.baseUrl + segment('720p/seg_00001.m4s', tokenFor(videoId)), {
        method: 'OPTIONS',
        headers: {
          origin: 'https://player.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'cmcd-request,cmcd-session',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-headers')).toContain('cmcd-session');
    });

    it('keys cached playlists on the token alone, whatever CMCD comes with it', async () => {
      const token = tokenFor(videoId, { expiresInS: 300 });
      const statuses: (string | null)[] = [];
      for (const sid of [uniqueName('a'), uniqueName('b')]) {
        const res = await edge(`${segment('720p/index.m3u8', token)}&${cmcdQuery({ sid, ot: 'm' })}`);
        expect(res.status).toBe(200);
        expect(await res.text()).not.toContain('CMCD');
        statuses.push(res.headers.get('x-cache-status'));
      }
      expect(statuses).toEqual(['MISS', 'HIT']);
    });

    it('refuses a cached segment to a CMCD request without a valid token, and takes no beacon from it', async () => {
      const sid = uniqueName('session');
      const res = await edge(`${segment('720p/init.mp4', null)}?${cmcdQuery({ sid })}`);
      expect(res.status).toBe(403);
      const marker = uniqueName('marker');
      await (
        await edge(`${segment('720p/init.mp4', tokenFor(videoId))}&${cmcdQuery({ sid: marker })}`)
      ).arrayBuffer();
      await log.waitFor(marker, 1);
      expect(log.received.some((r) => r.beacon.sessionId === sid)).toBe(false);
    });
  });

  describe('gateway routes', () => {
    it.each([
      { path: '/uploads/', method: 'POST', service: 'ingest' },
      { path: '/uploads/abc123', method: 'HEAD', service: 'ingest' },
      { path: '/api/v1/videos?q=cats', method: 'GET', service: 'ingest' },
      { path: '/api/v1/videos/abc123', method: 'GET', service: 'ingest' },
      { path: '/api/v1/videos/abc123/other', method: 'GET', service: 'ingest' },
      { path: '/api/v1/playback-restrictions', method: 'PUT', service: 'ingest' },
      { path: '/api/v1/keys', method: 'POST', service: 'ingest' },
      { path: '/api/v1/ladders', method: 'POST', service: 'ingest' },
      { path: '/api/v1/ladders/default/versions', method: 'GET', service: 'ingest' },
      { path: '/api/v1/videos/abc123/ladders', method: 'POST', service: 'ingest' },
      { path: '/api/v1/experiments', method: 'POST', service: 'ingest' },
      { path: '/api/v1/experiments/exp-1/start', method: 'POST', service: 'ingest' },
      { path: '/api/v1/experiments/exp-1/results', method: 'GET', service: 'analytics' },
      { path: '/api/v1/keys/key123', method: 'DELETE', service: 'ingest' },
      { path: '/api/v1/uploads/multipart', method: 'POST', service: 'ingest' },
      { path: '/api/v1/uploads/multipart/up123/complete', method: 'POST', service: 'ingest' },
      { path: '/sdk/v0/streamloop-player.min.js', method: 'GET', service: 'dashboards' },
      { path: '/embed/abc123?autoplay=1', method: 'GET', service: 'dashboards' },
      { path: '/oembed?url=x', method: 'GET', service: 'dashboards' },
      { path: '/v1/beacons', method: 'POST', service: 'beacon-collector' },
      { path: '/api/v1/qoe/overview?videoId=x', method: 'GET', service: 'analytics' },
      { path: '/api/v1/sql', method: 'POST', service: 'analytics' },
      { path: '/api/v1/features/status', method: 'GET', service: 'analytics' },
      { path: '/api/v1/recommendations?videoId=x', method: 'GET', service: 'analytics' },
      { path: '/api/v1/recommendations/health', method: 'GET', service: 'analytics' },
      { path: '/api/v1/alerts/rules', method: 'POST', service: 'analytics' },
      { path: '/api/v1/ladder-plans', method: 'GET', service: 'ingest' },
      { path: '/dashboards/', method: 'GET', service: 'dashboards' },
      { path: '/watch/abc123', method: 'GET', service: 'dashboards' },
    ])('$method $path → $service', async ({ path, method, service }) => {
      const res = await fetch(nginx.baseUrl + path, {
        method,
        ...(method === 'POST' || method === 'PUT' ? { body: '{}' } : {}),
      });
      expect(res.status).toBe(200);
      if (method === 'HEAD') return;
      const body = (await res.json()) as { service: string; url: string };
      expect(body).toMatchObject({ service, url: path });
    });

    it('sends /api/v1/videos/:id/playback to delivery', async () => {
      const res = await edge(`/api/v1/videos/${videoId}/playback`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as PlaybackResponse;
      expect(body.manifestUrl).toMatch(new RegExp(`^/media/${videoId}/master\\.m3u8\\?token=`));
      // The relative URL works against the gateway itself.
      expect((await edge(body.manifestUrl)).status).toBe(200);
    });

    it('answers /healthz itself and 404 for paths no service owns', async () => {
      const health = await edge('/healthz');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const none = await edge('/nothing/here');
      expect(none.status).toBe(404);
      expect(((await none.json()) as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND');
    });

    it('streams a large tus PATCH to ingest and passes tus headers both ways', async () => {
      const chunk = Buffer.alloc(5 * 1024 * 1024, 7);
      const res = await fetch(`${nginx.baseUrl}/uploads/abc123`, {
        method: 'PATCH',
        body: chunk,
        headers: {
          'tus-resumable': '1.0.0',
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
          'upload-metadata': 'filename Y2xpcC5tcDQ=',
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('upload-offset')).toBe(String(chunk.length));
      expect(res.headers.get('tus-resumable')).toBe('1.0.0');
      expect(res.headers.get('location')).toBe(`${nginx.baseUrl}/uploads/stub-upload-id`);
      const seen = (await res.json()) as { bodyBytes: number; headers: Record<string, string> };
      expect(seen.bodyBytes).toBe(chunk.length);
      expect(seen.headers).toMatchObject({
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'upload-metadata': 'filename Y2xpcC5tcDQ=',
        'content-type': 'application/offset+octet-stream',
      });
    });

    it('tells services the real client address, whatever X-Forwarded-For the client sent', async () => {
      const res = await edge('/api/v1/videos/abc123', { 'x-forwarded-for': '203.0.113.7' });
      const seen = (await res.json()) as { headers: Record<string, string> };
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    });
  });
});

describe('nginx edge when the origin cannot check tokens', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let nginx: RunningNginx;

  beforeAll(async () => {
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const delivery = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // Nothing listens on the discard port: the other services are not part of this test.
    const nowhere = '127.0.0.1:9';
    nginx = await startNginx({
      INGEST_UPSTREAM: nowhere,
      DELIVERY_UPSTREAM: delivery,
      BEACON_COLLECTOR_UPSTREAM: nowhere,
      ANALYTICS_UPSTREAM: nowhere,
      DASHBOARDS_UPSTREAM: nowhere,
    });
  });
  afterAll(async () => {
    await nginx?.stop();
    await app?.close();
    await fixture?.close();
  });

  it('fails closed: a cached segment is not served while the token check is down (503)', async () => {
    const videoId = (await addVideo(fixture)).id;
    await putLadder(fixture.objectStore, videoId);
    const url = `${nginx.baseUrl}/media/${videoId}/360p/seg_00001.ts?token=${tokenFor(videoId)}`;
    await (await fetch(url)).arrayBuffer();
    expect((await fetch(url)).headers.get('x-cache-status')).toBe('HIT');

    await app.close();
    const res = await fetch(url);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_DEPENDENCY_UNAVAILABLE');
  });
});
