/**
 * Which ladder a playback serves and what its token opens: the primary ladder by default, a derived
 * ladder (`?ladder=`, the owner's key only) with only the renditions its filter keeps — in the master
 * playlist, the DASH manifest and at the origin — and never another ladder's folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLadderVersion, seedLadders } from '@streamloop/catalog/ladder-repository';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, addVideo, buildDeliveryApp, childUris, type Fixture, openFixture } from './fixtures.js';
import { type EncodedClip, encodeTestClip, publishTestClip } from './published-ladder.js';

describe('the ladder a playback serves', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let workDir: string;
  let clip: EncodedClip;
  let videoId: string;

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });
  /** `key` null: no Authorization header (a viewer's page). */
  const playback = async (query = '', key: string | null = API_KEY) => {
    const res = await get(
      `/api/v1/videos/${videoId}/playback${query}`,
      key === null ? {} : { authorization: `Bearer ${key}` },
    );
    return { status: res.statusCode, body: res.json() };
  };
  /** A path below the video's folder, with the token of `manifestUrl`. */
  const withTokenOf = (manifestUrl: string, relative: string) =>
    `/media/${videoId}/${relative}?${manifestUrl.slice(manifestUrl.indexOf('?') + 1)}`;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-playback-ladders-'));
    clip = await encodeTestClip(workDir);
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture));
    videoId = (await addVideo(fixture, { ladder: clip.record, durationMs: clip.durationMs })).id;
    await publishTestClip(fixture.objectStore, videoId, clip);
    await seedLadders(fixture.catalog, [DEFAULT_LADDER]);
    // A 320x180 source gets two fitted rungs, 180p and 90p: keep the upper one.
    await createLadderVersion(
      fixture.catalog,
      { id: 'no-low', derivedFrom: { ladderId: 'default' }, filter: { minHeight: 100 } },
      'test',
    );
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('the encode under test has the two renditions this file assumes', () => {
    expect(clip.record.renditions.map((r) => r.name)).toEqual(['90p', '180p']);
  });

  it('serves the primary ladder by default, with a token that opens only its folder', async () => {
    const { status, body } = await playback('', null);
    expect([status, body.ladderId, body.ladderVersion]).toEqual([200, 'default', 2]);
    const master = await get(body.manifestUrl);
    expect(
      childUris(master.body)
        .filter((u) => u.includes('index.m3u8'))
        .map((u) => u.split('/')[0]),
    ).toEqual(['audio', '90p', '180p']);
    // The video's own routes serve every ladder's token: a still at a time redirects to its file.
    const still = await get(`${withTokenOf(body.manifestUrl, 'thumbnail.jpg')}&time=1`);
    expect(still.statusCode).toBe(302);
    const elsewhere = await get(withTokenOf(body.manifestUrl, 'phone/master.m3u8'));
    expect([elsewhere.statusCode, elsewhere.json().error.code]).toEqual([403, 'ERR_TOKEN_INVALID']);
    expect(elsewhere.json().error.message).toBe(
      "this playback token opens ladder 'default' of the video, not phone/master.m3u8",
    );
  });

  it('serves a derived ladder with only the renditions it keeps, and refuses the others', async () => {
    const { status, body } = await playback('?ladder=no-low');
    expect([status, body.ladderId, body.ladderVersion]).toEqual([200, 'no-low', 1]);
    const master = (await get(body.manifestUrl)).body;
    expect(master).toContain('RESOLUTION=320x180');
    expect(master).not.toContain('90p/');
    expect(master).toContain('audio/index.m3u8');
    const dash = (await get(body.dashUrl)).body;
    expect(dash).toContain('<Representation id="180p"');
    expect(dash).not.toContain('<Representation id="90p"');
    expect(dash).toContain('<Representation id="audio"');

    const kept = await get(withTokenOf(body.manifestUrl, 'default/180p/init.mp4'));
    expect(kept.statusCode).toBe(200);
    const audio = await get(withTokenOf(body.manifestUrl, 'default/audio/init.mp4'));
    expect(audio.statusCode).toBe(200);
    const dropped = await get(withTokenOf(body.manifestUrl, 'default/90p/init.mp4'));
    expect([dropped.statusCode, dropped.json().error.code]).toEqual([403, 'ERR_TOKEN_INVALID']);
    expect(dropped.json().error.message).toBe(
      "this playback token opens ladder 'default' (180p) of the video, not default/90p/init.mp4",
    );
  });

  it('lets only the owner choose a ladder, and says what is missing', async () => {
    const anonymous = await playback('?ladder=no-low', null);
    expect([anonymous.status, anonymous.body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    const unknown = await playback('?ladder=phone');
    expect([unknown.status, unknown.body.error.message]).toEqual([
      404,
      `video ${videoId} has no ready ladder 'phone'; add one with POST /api/v1/videos/${videoId}/ladders`,
    ]);
    const malformed = await playback('?ladder=Phone%20X');
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'ERR_VALIDATION']);
    await createLadderVersion(
      fixture.catalog,
      { id: 'only-1080', derivedFrom: { ladderId: 'default' }, filter: { heights: [1080] } },
      'test',
    );
    const empty = await playback('?ladder=only-1080');
    expect([empty.status, empty.body.error.message]).toEqual([
      409,
      `ladder 'only-1080' keeps none of video ${videoId}'s 'default' renditions (90p, 180p)`,
    ]);
  });
});
