/**
 * The ladders API for encoding engineers: the default ladder is there from the start, a new
 * definition becomes the next version, a repeated one mints nothing, bad ones are refused with the
 * field and the reason, and only the operator's keys define ladders.
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { API_KEY, callJson } from './helpers.js';

const rung = (height: number, kbps: number, codec = 'h264', profile = 'high') => ({
  height,
  codec,
  profile,
  videoBitrateKbps: kbps,
  maxrateKbps: Math.round(kbps * 1.1),
  bufsizeKbps: kbps * 2,
});
const mobile = {
  id: 'mobile-first',
  description: 'no 1080p: the audience is on phones',
  rungs: [rung(240, 300), rung(360, 700), rung(540, 1500)],
  audioBitrateKbps: 64,
  presets: { h264: 'veryfast', hevc: 'veryfast', av1: '10' },
};

describe('ladders API', () => {
  let ingest: EmbeddedIngest;
  const keys = { tenant: '', uploadOnly: '' };
  const call = (key: string | undefined, method: string, route: string, body?: unknown) =>
    callJson(ingest.baseUrl, key, method, route, body);

  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
    keys.tenant = (await createApiKey(ingest.catalog, { owner: 'tenant-a', scopes: ['manage'] })).key;
    keys.uploadOnly = (await createApiKey(ingest.catalog, { owner: 'default', scopes: ['upload'] })).key;
  });
  afterAll(async () => {
    await ingest?.teardown();
  });

  it('has the default ladder (five H.264 rungs, 234p to 1080p) before anyone defines one', async () => {
    const res = await call(API_KEY, 'GET', '/api/v1/ladders/default');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'default',
      version: 2,
      createdBy: 'streamloop',
      audioBitrateKbps: 96,
    });
    expect(res.body.rungs.map((r: { height: number }) => r.height)).toEqual([234, 360, 480, 720, 1080]);
  });

  it('makes a new definition version 1, a repeat nothing new, and a change version 2', async () => {
    const first = await call(API_KEY, 'POST', '/api/v1/ladders', mobile);
    expect([first.status, first.body.version, first.body.description]).toEqual([201, 1, mobile.description]);

    const repeat = await call(API_KEY, 'POST', '/api/v1/ladders', mobile);
    expect([repeat.status, repeat.body.version, repeat.body.createdAt]).toEqual([
      200,
      1,
      first.body.createdAt,
    ]);

    const changed = await call(API_KEY, 'POST', '/api/v1/ladders', { ...mobile, audioBitrateKbps: 96 });
    expect([changed.status, changed.body.version]).toEqual([201, 2]);

    expect((await call(API_KEY, 'GET', '/api/v1/ladders/mobile-first')).body.audioBitrateKbps).toBe(96);
    expect((await call(API_KEY, 'GET', '/api/v1/ladders/mobile-first?version=1')).body.audioBitrateKbps).toBe(
      64,
    );
    const history = await call(API_KEY, 'GET', '/api/v1/ladders/mobile-first/versions');
    expect(history.body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);

    const list = await call(keys.tenant, 'GET', '/api/v1/ladders');
    const byId = Object.fromEntries(
      list.body.ladders.map((l: { id: string; version: number; versions: number }) => [
        l.id,
        [l.version, l.versions],
      ]),
    );
    expect(byId).toMatchObject({ default: [2, 1], 'mobile-first': [2, 2] });
  });

  it.each([
    [
      'an AV1 rung with an H.264 profile',
      { ...mobile, id: 'refused', rungs: [rung(360, 700, 'av1', 'high')] },
      "/rungs/0/profile: av1 takes profile main, not 'high'",
    ],
    [
      'an unknown x264 preset',
      { ...mobile, id: 'refused', presets: { ...mobile.presets, h264: 'turbo' } },
      '/presets/h264',
    ],
    ['a misspelt field', { ...mobile, id: 'refused', rungz: [] }, '/rungz'],
    ['a ladder id with capitals', { ...mobile, id: 'Mobile' }, '/id'],
    ['no rungs', { ...mobile, id: 'refused', rungs: [] }, '/rungs'],
  ])('refuses %s with 400 naming the field, and stores nothing', async (_what, body, reason) => {
    const res = await call(API_KEY, 'POST', '/api/v1/ladders', body);
    expect([res.status, res.body.error?.code]).toEqual([400, 'ERR_VALIDATION']);
    expect(res.body.error.message).toContain(reason);
    expect((await call(API_KEY, 'GET', '/api/v1/ladders/refused')).status).toBe(404);
  });

  it('derives a ladder from the default one by a filter, storing the rungs it keeps', async () => {
    const body = { id: 'no-low-rungs', derivedFrom: { ladderId: 'default' }, filter: { minHeight: 480 } };
    const res = await call(API_KEY, 'POST', '/api/v1/ladders', body);
    expect([res.status, res.body.derivedFrom, res.body.filter]).toEqual([
      201,
      { ladderId: 'default', version: 2 },
      { minHeight: 480 },
    ]);
    expect(res.body.rungs.map((r: { height: number }) => r.height)).toEqual([480, 720, 1080]);
    const unknown = await call(API_KEY, 'POST', '/api/v1/ladders', {
      ...body,
      id: 'x',
      filter: { minheight: 480 },
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'ERR_VALIDATION']);
    expect(unknown.body.error.message).toContain('invalid derived ladder: /filter');
  });

  it('answers 404 for a ladder or a version that does not exist', async () => {
    const missing = await call(API_KEY, 'GET', '/api/v1/ladders/nope');
    expect([missing.status, missing.body.error.code, missing.body.error.message]).toEqual([
      404,
      'ERR_NOT_FOUND',
      "no ladder 'nope'",
    ]);
    const version = await call(API_KEY, 'GET', '/api/v1/ladders/default?version=9');
    expect(version.body.error.message).toBe("ladder 'default' has no version 9");
  });

  it("lets a tenant's key read ladders but not define them; needs the manage scope", async () => {
    const tenant = await call(keys.tenant, 'POST', '/api/v1/ladders', { ...mobile, id: 'tenant-made' });
    expect([tenant.status, tenant.body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect(tenant.body.error.message).toContain("only the operator's keys");
    expect((await call(API_KEY, 'GET', '/api/v1/ladders/tenant-made')).status).toBe(404);
    expect((await call(undefined, 'GET', '/api/v1/ladders')).status).toBe(401);
    expect((await call(keys.uploadOnly, 'GET', '/api/v1/ladders')).status).toBe(403);
  });
});
