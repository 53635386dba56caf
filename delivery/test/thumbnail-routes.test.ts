/**
 * `thumbnail.jpg?time=`: the route answers a redirect to the stored still nearest to the time, and
 * following it (with the token it carries) gives that still's bytes. Fixture ladder: thumbnails
 * every 2 s of a 5 s video (t_00000 at 0 s, t_00001 at 2 s, t_00002 at 4 s), as transcode writes.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVideo, buildDeliveryApp, type Fixture, openFixture, tokenFor } from './fixtures.js';

const THUMBNAILS = { intervalSec: 2, count: 3, pattern: 'thumbs/t_%05d.jpg' };

describe('GET /media/:id/thumbnail.jpg', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let videoId: string;
  let oldVideoId: string;
  const images = new Map<string, Buffer>();

  const put = async (id: string, file: string) => {
    const bytes = randomBytes(2_000);
    images.set(`${id}/${file}`, bytes);
    await fixture.objectStore.put(`media/${id}/${file}`, bytes);
  };

  beforeAll(async () => {
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture));
    videoId = (
      await addVideo(fixture, { durationMs: 5_000, ladder: { poster: 'poster.jpg', thumbnails: THUMBNAILS } })
    ).id;
    for (const file of ['poster.jpg', 'thumbs/t_00000.jpg', 'thumbs/t_00001.jpg', 'thumbs/t_00002.jpg'])
      await put(videoId, file);
    // A ladder stored before thumbnails existed: poster only.
    oldVideoId = (await addVideo(fixture, { durationMs: 5_000, ladder: { poster: 'poster.jpg' } })).id;
    await put(oldVideoId, 'poster.jpg');
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  /** Requests the thumbnail, follows the redirect, and says which stored file came back. */
  const still = async (id: string, query: string) => {
    const answer = await app.inject({ url: `/media/${id}/thumbnail.jpg?${query}` });
    expect(answer.statusCode).toBe(302);
    const location = new URL(answer.headers.location as string, `http://origin/media/${id}/thumbnail.jpg`);
    const image = await app.inject({ url: location.pathname + location.search });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect(image.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const file = location.pathname.slice(`/media/${id}/`.length);
    expect(image.rawPayload.equals(images.get(`${id}/${file}`)!)).toBe(true);
    return { file, redirect: answer };
  };

  it.each([
    ['0', 'thumbs/t_00000.jpg'],
    ['0.9', 'thumbs/t_00000.jpg'],
    ['1.2', 'thumbs/t_00001.jpg'],
    ['2', 'thumbs/t_00001.jpg'],
    ['3.5', 'thumbs/t_00002.jpg'],
    ['4.9', 'thumbs/t_00002.jpg'],
    ['600', 'thumbs/t_00002.jpg'],
  ])('answers time=%s with the nearest stored thumbnail, %s', async (time, expected) => {
    const token = tokenFor(videoId);
    // The time before and after the token: neither order disturbs the token check.
    expect((await still(videoId, `time=${time}&token=${token}`)).file).toBe(expected);
    expect((await still(videoId, `token=${token}&time=${time}`)).file).toBe(expected);
  });

  it('answers the poster without a time, and for a ladder made before thumbnails', async () => {
    expect((await still(videoId, `token=${tokenFor(videoId)}`)).file).toBe('poster.jpg');
    expect((await still(oldVideoId, `time=3&token=${tokenFor(oldVideoId)}`)).file).toBe('poster.jpg');
  });

  it('keeps the redirect out of shared caches, which key media on the path alone', async () => {
    const { redirect } = await still(videoId, `time=2&token=${tokenFor(videoId)}`);
    expect(redirect.headers['cache-control']).toBe('private, max-age=60');
    expect(redirect.headers['access-control-allow-origin']).toBe('*');
  });

  it.each(['abc', '-1', '', 'NaN', '1e3', '12s'])('refuses time=%s with ERR_VALIDATION', async (time) => {
    const answer = await app.inject({
      url: `/media/${videoId}/thumbnail.jpg?time=${encodeURIComponent(time)}&token=${tokenFor(videoId)}`,
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
  });

  it.each([
    ['no token', () => '?time=2', 'ERR_TOKEN_INVALID'],
    ['a token for another video', () => `?time=2&token=${tokenFor(oldVideoId)}`, 'ERR_TOKEN_INVALID'],
    [
      'an expired token',
      () => `?time=2&token=${tokenFor(videoId, { expiresInS: -10 })}`,
      'ERR_TOKEN_EXPIRED',
    ],
  ])('refuses %s with 403', async (_name, query, code) => {
    const answer = await app.inject({ url: `/media/${videoId}/thumbnail.jpg${query()}` });
    expect(answer.statusCode).toBe(403);
    expect(answer.json()).toMatchObject({ error: { code } });
    expect(answer.headers.location).toBeUndefined();
  });

  it("passes the edge's token check with the time beside the token", async () => {
    const answer = await app.inject({
      url: '/internal/token-check',
      headers: { 'x-original-uri': `/media/${videoId}/thumbnail.jpg?time=3&token=${tokenFor(videoId)}` },
    });
    expect(answer.statusCode).toBe(204);
  });
});
