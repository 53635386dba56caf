/**
 * `/embed/:id` and `/oembed` over `app.inject()` against a real catalog (PostgreSQL and PGlite): what
 * a site framing the player, and a CMS turning a pasted URL into an iframe, get back.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { putPlaybackRestrictions } from '@streamloop/catalog/playback-restrictions-repository';
import { TEST_CATALOGS } from '@streamloop/catalog/testing';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountPlayerPages } from '../src/mount-player-pages.js';
import { embedSize } from '../src/oembed-route.js';

const logger = createLogger({ name: 'embed-routes-test', level: 'silent' });
// app.inject() talks to `localhost:80` unless told otherwise.
const ORIGIN = 'http://localhost';
const PUBLIC_ID = 'embedpublic_01';
const RESTRICTED_ID = 'embedrestricted_01';
const SIGNED_ID = 'embedsigned_001';
const PROCESSING_ID = 'embedprocessing_01';

describe.each(TEST_CATALOGS)('embed page and oEmbed on %s', (_name, open) => {
  let catalog: Catalog;
  let teardown: () => Promise<void>;
  let app: FastifyInstance;

  beforeAll(async () => {
    ({ catalog, teardown } = await open());
    await insertVideo(catalog, {
      id: PUBLIC_ID,
      title: 'A <b>bold</b> "clip"',
      status: 'ready',
      owner: null,
    });
    await insertVideo(catalog, { id: RESTRICTED_ID, title: 'shop', status: 'ready', owner: 'shop-owner' });
    await insertVideo(catalog, { id: SIGNED_ID, title: 'secret', status: 'ready', playbackPolicy: 'signed' });
    await insertVideo(catalog, { id: PROCESSING_ID, title: 'soon', status: 'processing' });
    await putPlaybackRestrictions(catalog, 'shop-owner', {
      allowedDomains: ['shop.example', '*.cdn.example'],
      allowNoOrigin: false,
    });
    app = buildHttpApp({
      logger,
      registry: createMetricsRegistry({ collectProcessMetrics: false }),
      ports: [],
    });
    mountPlayerPages(app, { collectorUrl: '/v1/beacons', catalog });
  });
  afterAll(async () => {
    await app?.close();
    await teardown?.();
  });

  it('serves a chrome-less player page any site may frame when the owner restricts nothing', async () => {
    const response = await app.inject(`/embed/${PUBLIC_ID}?autoplay=1&start=5&loop=true&controls=0`);
    expect(response.statusCode).toBe(200);
    const policy = String(response.headers['content-security-policy']);
    expect(policy).toContain('frame-ancestors *');
    expect(policy).toMatch(/script-src 'nonce-[^']+'/);
    expect(policy).not.toContain('unsafe-inline');
    expect(response.body).toContain('src="/sdk/v0/streamloop-player.min.js"');
    expect(response.body).toContain('"autoplay":true,"start":5,"loop":true,"controls":false');
    expect(response.body).not.toContain('<h1');
    expect(response.body).not.toContain('<b>bold</b>');
  });

  it("lets only the owner's allowed sites frame a restricted video", async () => {
    const response = await app.inject(`/embed/${RESTRICTED_ID}`);
    expect(response.statusCode).toBe(200);
    expect(String(response.headers['content-security-policy'])).toContain(
      'frame-ancestors https://shop.example https://*.cdn.example',
    );
  });

  it.each([
    [`/embed/${PUBLIC_ID}?autoplay=yes`, 400, 'autoplay must be 1, 0, true or false, not &#34;yes&#34;'],
    [`/embed/${PUBLIC_ID}?start=-1`, 400, 'start must be a number of seconds'],
    [`/embed/${PUBLIC_ID}?muted=1`, 400, 'unknown option muted'],
    [`/embed/${SIGNED_ID}`, 403, 'plays only with a signed URL'],
    [`/embed/${PROCESSING_ID}`, 404, 'not ready yet'],
    ['/embed/nosuchvideo_000', 404, 'There is no such video.'],
    ['/embed/%3Cscript%3E', 404, 'There is no such video.'],
  ])('%s is a %i page that says why, and plays nothing', async (url, status, reason) => {
    const response = await app.inject(url);
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain(reason);
    expect(response.body).not.toContain('<script');
    expect(response.body).not.toMatch(/token|manifestUrl/i);
  });

  it('describes a watch URL as an iframe embed (oEmbed JSON)', async () => {
    const url = `${ORIGIN}/watch/${PUBLIC_ID}`;
    const response = await app.inject(`/oembed?url=${encodeURIComponent(url)}&format=json&maxwidth=480`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.json()).toEqual({
      version: '1.0',
      type: 'video',
      provider_name: 'streamloop',
      provider_url: `${ORIGIN}/`,
      title: 'A <b>bold</b> "clip"',
      html: `<iframe src="${ORIGIN}/embed/${PUBLIC_ID}" width="480" height="270" title="A &#60;b&#62;bold&#60;/b&#62; &#34;clip&#34;" style="border:0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>`,
      width: 480,
      height: 270,
    });
  });

  it('accepts an embed URL too, without a format', async () => {
    const url = `${ORIGIN}/embed/${RESTRICTED_ID}?autoplay=1`;
    const response = await app.inject(`/oembed?url=${encodeURIComponent(url)}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ title: 'shop', width: 640, height: 360 });
  });

  it.each([
    [`url=${encodeURIComponent(`${ORIGIN}/watch/${PUBLIC_ID}`)}&format=xml`, 501, 'ERR_NOT_IMPLEMENTED'],
    [`url=${encodeURIComponent(`${ORIGIN}/watch/${SIGNED_ID}`)}`, 404, 'ERR_NOT_FOUND'],
    [`url=${encodeURIComponent(`${ORIGIN}/watch/${PROCESSING_ID}`)}`, 404, 'ERR_NOT_FOUND'],
    [`url=${encodeURIComponent(`${ORIGIN}/watch/nosuchvideo_000`)}`, 404, 'ERR_NOT_FOUND'],
    [`url=${encodeURIComponent(`https://elsewhere.example/watch/${PUBLIC_ID}`)}`, 400, 'ERR_VALIDATION'],
    [`url=${encodeURIComponent(`${ORIGIN}/dashboards/`)}`, 400, 'ERR_VALIDATION'],
    ['url=not-a-url', 400, 'ERR_VALIDATION'],
    ['format=json', 400, 'ERR_VALIDATION'],
    [`url=${encodeURIComponent(`${ORIGIN}/watch/${PUBLIC_ID}`)}&maxwidth=-5`, 400, 'ERR_VALIDATION'],
  ])('GET /oembed?%s is a %i %s', async (query, status, code) => {
    const response = await app.inject(`/oembed?${query}`);
    expect(response.statusCode).toBe(status);
    expect(response.json().error.code).toBe(code);
  });
});

describe('embedSize', () => {
  it.each([
    [undefined, undefined, { width: 640, height: 360 }],
    [320, undefined, { width: 320, height: 180 }],
    [1920, 180, { width: 320, height: 180 }],
    [2000, 2000, { width: 640, height: 360 }],
  ])('fits 16:9 within maxwidth %s, maxheight %s', (maxWidth, maxHeight, size) => {
    expect(embedSize(maxWidth, maxHeight)).toEqual(size);
  });
});
