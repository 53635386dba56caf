/**
 * The playback API called from other sites (the SDK on a customer's page): CORS for public videos,
 * none for signed ones, and the owner's playback restrictions judged on Origin (else the Referer),
 * on both catalog adapters (PostgreSQL and PGlite).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import type { Catalog } from '@streamloop/catalog/catalog';
import { putPlaybackRestrictions } from '@streamloop/catalog/playback-restrictions-repository';
import { TEST_CATALOGS } from '@streamloop/catalog/testing';
import type { NewVideo } from '@streamloop/catalog/video-repository';
import type { PlaybackRestrictions } from '@streamloop/core/playback-restrictions';
import { uniqueName } from '@streamloop/core/testing';
import { createLocalObjectStore } from '@streamloop/object-store/local-object-store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addVideo, buildDeliveryApp, type Fixture, HANDWRITTEN_LADDER_RECORD } from './fixtures.js';

const SHOP = 'https://shop.example.com';

describe.each(TEST_CATALOGS)('playback API across origins (%s)', (_name, open) => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-cors-'));
    const { catalog, teardown } = await open();
    const objectStore = await createLocalObjectStore({ root: path.join(dir, 'objects') });
    fixture = { catalog, objectStore, close: () => objectStore.close().then(teardown) };
    ({ app } = await buildDeliveryApp(fixture));
  });
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A ready public video of a fresh owner, with that owner's restrictions (none when undefined). */
  async function videoOf(restrictions?: PlaybackRestrictions, overrides: Partial<NewVideo> = {}) {
    const owner = uniqueName('owner');
    if (restrictions) await putPlaybackRestrictions(fixture.catalog as Catalog, owner, restrictions);
    return addVideo(fixture, { owner, ladder: HANDWRITTEN_LADDER_RECORD, ...overrides });
  }

  const playback = (id: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url: `/api/v1/videos/${id}/playback`, headers });

  it('answers a preflight with GET only, a max age, and no way to send a key', async () => {
    const video = await videoOf();
    const res = await app.inject({
      method: 'OPTIONS',
      url: `/api/v1/videos/${video.id}/playback`,
      headers: { origin: SHOP, 'access-control-request-method': 'GET' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': SHOP,
      'access-control-allow-methods': 'GET',
      'access-control-max-age': '7200',
      vary: 'Origin',
    });
    expect(res.headers).not.toHaveProperty('access-control-allow-headers');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
  });

  it('lets any site read a token for an unrestricted public video', async () => {
    const video = await videoOf();
    const res = await playback(video.id, { origin: SHOP });
    expect(res.statusCode).toBe(200);
    expect(res.json().manifestUrl).toContain('?token=');
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers.vary).toBe('Origin');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
  });

  it('says Vary: Origin on every answer, errors and same-origin requests included', async () => {
    const missing = await playback('abcdefgh12345678', { origin: SHOP });
    expect([missing.statusCode, missing.headers.vary]).toEqual([404, 'Origin']);
    const malformed = await playback('bad%20id', { origin: SHOP });
    expect([malformed.statusCode, malformed.headers.vary]).toEqual([400, 'Origin']);
    const sameOrigin = await playback((await videoOf()).id);
    expect([sameOrigin.statusCode, sameOrigin.headers.vary]).toEqual([200, 'Origin']);
    expect(sameOrigin.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('keeps Vary and the grant on a 429, so a page reads that it was rate limited', async () => {
    const { app: limited } = await buildDeliveryApp(fixture, {
      publicRateLimit: { max: 1, timeWindowMs: 60_000 },
    });
    try {
      const video = await videoOf();
      const ask = () =>
        limited.inject({
          method: 'GET',
          url: `/api/v1/videos/${video.id}/playback`,
          headers: { origin: SHOP },
        });
      expect((await ask()).statusCode).toBe(200);
      const refused = await ask();
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.code).toBe('ERR_RATE_LIMITED');
      expect(refused.headers).toMatchObject({ vary: 'Origin', 'access-control-allow-origin': SHOP });
    } finally {
      await limited.close();
    }
  });

  describe('restricted owner', () => {
    const restrictions: PlaybackRestrictions = {
      allowedDomains: ['shop.example.com', '*.partner.org'],
      allowNoOrigin: false,
    };

    it.each([
      ['the listed site', { origin: SHOP }],
      ['a sub-domain under a wildcard', { origin: 'https://cdn.partner.org' }],
      ['the listed site by Referer alone', { referer: `${SHOP}/products/7?x=1` }],
    ])('gives %s a token', async (_what, headers) => {
      const video = await videoOf(restrictions);
      const res = await playback(video.id, headers);
      expect(res.statusCode).toBe(200);
      expect(res.json().manifestUrl).toContain('?token=');
    });

    it.each([
      ['another site', { origin: 'https://evil.test' }, 'https://evil.test'],
      ['the apex of a wildcard', { origin: 'https://partner.org' }, 'https://partner.org'],
      ['another site by Referer', { referer: 'https://evil.test/page' }, 'https://evil.test'],
      [
        'another site by Origin, whatever the Referer says',
        { origin: 'https://evil.test', referer: `${SHOP}/` },
        'https://evil.test',
      ],
    ])('refuses %s with 403 ERR_PLAYBACK_RESTRICTED and no token', async (_what, headers, named) => {
      const video = await videoOf(restrictions);
      const res = await playback(video.id, headers);
      expect(res.statusCode).toBe(403);
      const { error } = res.json();
      expect(error.code).toBe('ERR_PLAYBACK_RESTRICTED');
      expect(error.message).toContain(named);
      expect(error.message).toContain('restricts playback to listed domains');
      expect(res.body).not.toContain('token');
      expect(res.headers.vary).toBe('Origin');
    });

    it('lets the refused page read why (the grant stays on the 403)', async () => {
      const video = await videoOf(restrictions);
      const res = await playback(video.id, { origin: 'https://evil.test' });
      expect(res.headers['access-control-allow-origin']).toBe('https://evil.test');
    });

    it('leaves a request naming no site to allowNoOrigin', async () => {
      const closed = await videoOf(restrictions);
      const refused = await playback(closed.id);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.message).toContain('naming no site');
      const open = await videoOf({ ...restrictions, allowNoOrigin: true });
      expect((await playback(open.id)).statusCode).toBe(200);
    });

    it('does not judge the owner’s own key (a server asking), but does judge another owner’s', async () => {
      const video = await videoOf(restrictions);
      const own = await createApiKey(fixture.catalog, { owner: video.owner!, scopes: ['manage'] });
      const res = await playback(video.id, {
        authorization: `Bearer ${own.key}`,
        origin: 'https://evil.test',
      });
      expect(res.statusCode).toBe(200);
      const other = await createApiKey(fixture.catalog, { owner: uniqueName('other'), scopes: ['manage'] });
      const refused = await playback(video.id, { authorization: `Bearer ${other.key}` });
      expect(refused.json().error?.code).toBe('ERR_PLAYBACK_RESTRICTED');
    });

    it.each([
      [
        'Sec-Fetch-Site: same-origin',
        { 'sec-fetch-site': 'same-origin', referer: 'https://stack.test/embed/x' },
      ],
      ['an Origin on the host asked', { host: 'stack.test', origin: 'https://stack.test' }],
      ['a Referer on the host asked', { host: 'stack.test:8080', referer: 'http://stack.test:8080/watch/x' }],
    ])('lets streamloop’s own pages (/watch, /embed) play: %s', async (_what, headers) => {
      const video = await videoOf({ allowedDomains: [], allowNoOrigin: false });
      expect((await playback(video.id, headers)).statusCode).toBe(200);
    });

    it('does not take a cross-site request or another host for streamloop’s own page', async () => {
      const video = await videoOf({ allowedDomains: [], allowNoOrigin: false });
      const crossSite = { 'sec-fetch-site': 'cross-site', origin: 'https://evil.test', host: 'stack.test' };
      expect((await playback(video.id, crossSite)).statusCode).toBe(403);
      const otherPort = { host: 'stack.test:8080', origin: 'https://stack.test' };
      expect((await playback(video.id, otherPort)).statusCode).toBe(403);
    });

    it('judges before readiness, so a refused site learns nothing about the video', async () => {
      const video = await videoOf(restrictions, { status: 'processing', ladder: null });
      const res = await playback(video.id, { origin: 'https://evil.test' });
      expect(res.json().error.code).toBe('ERR_PLAYBACK_RESTRICTED');
    });
  });

  describe('signed video', () => {
    it('is never playable by its id alone from a page, and no page may read the answer', async () => {
      const video = await videoOf(undefined, { playbackPolicy: 'signed' });
      const res = await playback(video.id, { origin: SHOP });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('ERR_UNAUTHORIZED');
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
      expect(res.headers.vary).toBe('Origin');
    });

    it('gives its owner’s backend a token without a CORS grant, whatever the restrictions', async () => {
      const video = await videoOf({ allowedDomains: [], allowNoOrigin: false }, { playbackPolicy: 'signed' });
      const own = await createApiKey(fixture.catalog, { owner: video.owner!, scopes: ['manage'] });
      const res = await playback(video.id, { authorization: `Bearer ${own.key}`, origin: SHOP });
      expect(res.statusCode).toBe(200);
      expect(res.json().manifestUrl).toContain('?token=');
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    });
  });
});
