/**
 * `thumbnail.jpg?time=`: the route answers a redirect to the stored still nearest to the time, and
 * following it (with the token it carries) gives that still's bytes. The ladder is transcode's own:
 * a 5 s clip encoded and published once (published-ladder.ts), with a still every 2 s (0, 2 and 4 s).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fillThumbnailPattern } from '@streamloop/core/object-layout';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVideo, buildDeliveryApp, type Fixture, openFixture, tokenFor } from './fixtures.js';
import { type EncodedClip, encodeTestClip, publishTestClip } from './published-ladder.js';

describe('GET /media/:id/thumbnail.jpg', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let workDir: string;
  let clip: EncodedClip;
  let videoId: string;
  let oldVideoId: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-thumbnails-'));
    clip = await encodeTestClip(workDir, 5);
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture));
    videoId = (await addVideo(fixture, { durationMs: clip.durationMs, ladder: clip.record })).id;
    await publishTestClip(fixture.objectStore, videoId, clip);
    // A ladder stored before thumbnails existed: the same encode, its record without them.
    const { thumbnails: _none, ...older } = clip.record;
    oldVideoId = (await addVideo(fixture, { durationMs: clip.durationMs, ladder: older })).id;
    await publishTestClip(fixture.objectStore, oldVideoId, clip);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** The still transcode wrote as number `index`, or the poster. */
  const written = (file: 'poster' | number) =>
    file === 'poster' ? clip.record.poster : fillThumbnailPattern(clip.record.thumbnails!.pattern, file);

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
    // The bytes the encoder wrote for that file, not just any image.
    expect(image.rawPayload.equals(await readFile(path.join(clip.outputDir, file)))).toBe(true);
    return { file, redirect: answer };
  };

  it('has a still every 2 s of the 5 s clip to choose from', () => {
    expect(clip.record.thumbnails).toMatchObject({ intervalSec: 2, count: 3 });
  });

  it.each([
    ['0', 0],
    ['0.9', 0],
    ['1.2', 1],
    ['2', 1],
    ['3.5', 2],
    ['4.9', 2],
    ['600', 2],
  ] as const)('answers time=%s with the nearest stored thumbnail, number %s', async (time, expected) => {
    const token = tokenFor(videoId);
    // The time before and after the token: neither order disturbs the token check.
    expect((await still(videoId, `time=${time}&token=${token}`)).file).toBe(written(expected));
    expect((await still(videoId, `token=${token}&time=${time}`)).file).toBe(written(expected));
  });

  it('answers the poster without a time, and for a ladder made before thumbnails', async () => {
    expect((await still(videoId, `token=${tokenFor(videoId)}`)).file).toBe(written('poster'));
    expect((await still(oldVideoId, `time=3&token=${tokenFor(oldVideoId)}`)).file).toBe(written('poster'));
  });

  it('never answers a thumbnail time with the poster, nor two times with one still', async () => {
    const token = tokenFor(videoId);
    const files = await Promise.all(
      ['0', '2.2', '4.4'].map(async (t) => (await still(videoId, `time=${t}&token=${token}`)).file),
    );
    expect(new Set(files).size).toBe(3);
    expect(files).not.toContain(written('poster'));
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
