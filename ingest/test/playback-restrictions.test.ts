/**
 * The management API of playback restrictions: an owner's key reads, replaces and lifts its own
 * restrictions (and nobody else's); bad domains are refused with the offending field.
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { getPlaybackRestrictions } from '@streamloop/catalog/playback-restrictions-repository';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { API_KEY, callJson } from './helpers.js';

const ROUTE = '/api/v1/playback-restrictions';

describe('playback restrictions API', () => {
  let ingest: EmbeddedIngest;
  const keys = { tenantA: '', tenantB: '', uploadOnly: '' };

  const call = (key: string | undefined, method: string, body?: unknown) =>
    callJson(ingest.baseUrl, key, method, ROUTE, body);

  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
    const make = async (owner: string, scopes: ('upload' | 'manage')[]) =>
      (await createApiKey(ingest.catalog, { owner, scopes })).key;
    keys.tenantA = await make('tenant-a', ['manage']);
    keys.tenantB = await make('tenant-b', ['manage']);
    keys.uploadOnly = await make('tenant-a', ['upload']);
  });
  afterAll(async () => {
    await ingest?.teardown();
  });

  it('stores, reads, replaces and lifts the calling owner’s restrictions', async () => {
    const none = await call(keys.tenantA, 'GET');
    expect([none.status, none.body.error.code]).toEqual([404, 'ERR_NOT_FOUND']);
    expect(none.body.error.message).toContain('play from any site');

    const first = { allowedDomains: ['shop.example.com', '*.example.org'], allowNoOrigin: false };
    const put = await call(keys.tenantA, 'PUT', first);
    expect([put.status, put.body]).toEqual([200, first]);
    expect((await call(keys.tenantA, 'GET')).body).toEqual(first);
    expect(await getPlaybackRestrictions(ingest.catalog, 'tenant-a')).toEqual(first);

    const second = { allowedDomains: ['localhost'], allowNoOrigin: true };
    expect((await call(keys.tenantA, 'PUT', second)).status).toBe(200);
    expect((await call(keys.tenantA, 'GET')).body).toEqual(second);

    expect((await call(keys.tenantA, 'DELETE')).status).toBe(204);
    expect((await call(keys.tenantA, 'DELETE')).status).toBe(204);
    expect((await call(keys.tenantA, 'GET')).status).toBe(404);
  });

  it('keeps each owner to its own restrictions', async () => {
    await call(keys.tenantA, 'PUT', { allowedDomains: ['a.example.com'], allowNoOrigin: false });
    await call(keys.tenantB, 'PUT', { allowedDomains: ['b.example.com'], allowNoOrigin: true });
    expect((await call(keys.tenantA, 'GET')).body.allowedDomains).toEqual(['a.example.com']);
    await call(keys.tenantB, 'DELETE');
    expect((await call(keys.tenantA, 'GET')).body.allowedDomains).toEqual(['a.example.com']);
    // The operator's key is the default owner's, not a view over everyone's.
    expect((await call(API_KEY, 'GET')).status).toBe(404);
  });

  it.each([
    ['a scheme', { allowedDomains: ['https://shop.example.com'], allowNoOrigin: false }, '/allowedDomains/0'],
    [
      'a port',
      { allowedDomains: ['ok.example.com', 'shop.example.com:8443'], allowNoOrigin: false },
      '/allowedDomains/1',
    ],
    ['a wildcard over a TLD', { allowedDomains: ['*.com'], allowNoOrigin: false }, '/allowedDomains/0'],
    ['a missing allowNoOrigin', { allowedDomains: [] }, '/allowNoOrigin'],
    [
      'a misspelt field',
      { allowedDomains: [], allowNoOrigin: true, allowedOrigins: ['x.com'] },
      '/allowedOrigins',
    ],
    ['a non-object', ['shop.example.com'], '/'],
  ])('refuses %s with 400 naming the field, and keeps what was stored', async (_what, body, field) => {
    const kept = { allowedDomains: ['kept.example.com'], allowNoOrigin: false };
    await call(keys.tenantA, 'PUT', kept);
    const res = await call(keys.tenantA, 'PUT', body);
    expect([res.status, res.body.error?.code]).toEqual([400, 'ERR_VALIDATION']);
    expect(res.body.error.message).toContain(`invalid playback restrictions: ${field}`);
    expect((await call(keys.tenantA, 'GET')).body).toEqual(kept);
  });

  it.each(['GET', 'PUT', 'DELETE'])('%s needs a key with the manage scope', async (method) => {
    const body = method === 'PUT' ? { allowedDomains: [], allowNoOrigin: true } : undefined;
    expect((await call(undefined, method, body)).status).toBe(401);
    const wrong = await call(keys.uploadOnly, method, body);
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
  });
});
