/** The origin serving a CMAF package's DASH MPD and storyboard: typed, short-cached, every child with the token. */
import { DASH_MANIFEST, mediaKey } from '@streamloop/core/object-layout';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVideo, buildDeliveryApp, type Fixture, openFixture, tokenFor } from './fixtures.js';

const MPD = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT4.000S">',
  '  <Period><AdaptationSet contentType="video"><Representation id="360p" bandwidth="800000">',
  '    <SegmentTemplate timescale="15360" initialization="360p/init.mp4" media="360p/seg_$Number%03d$.m4s"/>',
  '  </Representation></AdaptationSet></Period>',
  '</MPD>',
  '',
].join('\n');
const STORYBOARD = 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nstoryboard_000.jpg#xywh=0,0,160,90\n';

describe('DASH and storyboard through the origin', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let videoId: string;
  let token: string;

  beforeAll(async () => {
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture));
    videoId = (await addVideo(fixture)).id;
    token = tokenFor(videoId);
    await fixture.objectStore.put(mediaKey(videoId, DASH_MANIFEST), Buffer.from(MPD));
    await fixture.objectStore.put(mediaKey(videoId, 'storyboard.vtt'), Buffer.from(STORYBOARD));
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
  });

  const get = (path: string) =>
    app.inject({ method: 'GET', url: `/media/${videoId}/${path}?token=${encodeURIComponent(token)}` });

  it('serves the MPD as application/dash+xml whose templates carry the viewer token', async () => {
    const res = await get('manifest.mpd');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/dash+xml');
    expect(res.headers['cache-control']).toBe('public, max-age=10');
    expect(res.body).toContain(`initialization="360p/init.mp4?token=${encodeURIComponent(token)}"`);
    expect(res.body).toContain(`media="360p/seg_$Number%03d$.m4s?token=${encodeURIComponent(token)}"`);
  });

  it('serves the storyboard as text/vtt whose cues fetch sprite sheets with the token', async () => {
    const res = await get('storyboard.vtt');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/vtt');
    expect(res.body).toContain(`storyboard_000.jpg?token=${encodeURIComponent(token)}#xywh=0,0,160,90`);
  });
});
