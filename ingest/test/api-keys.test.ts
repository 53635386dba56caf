/**
 * Scoped API keys from a client's side (embedded adapters; the key check is the same SQL on
 * PostgreSQL, which the catalog contract suite covers): no key, a revoked key and a key without the
 * route's scope are refused on the catalog, tus and direct-upload routes; keys are made and revoked
 * over HTTP; an owner sees only its own videos; a key over its rate limit gets 429.
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { API_KEY, callJson, createUploadRequest } from './helpers.js';

describe('scoped API keys on ingest', () => {
  let ingest: EmbeddedIngest;
  const keys: Record<'upload' | 'manage' | 'analytics' | 'revoked' | 'tenantA' | 'tenantB', string> =
    {} as never;

  const call = (key: string | undefined, method: string, route: string, body?: unknown) =>
    callJson(ingest.baseUrl, key, method, route, body);

  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
    const make = async (
      owner: string,
      scopes: ('upload' | 'manage' | 'analytics-read')[],
      rateLimitPerMinute?: number,
    ) =>
      (
        await createApiKey(ingest.catalog, {
          owner,
          scopes,
          ...(rateLimitPerMinute ? { rateLimitPerMinute } : {}),
        })
      ).key;
    keys.upload = await make('default', ['upload']);
    keys.manage = await make('default', ['manage']);
    keys.analytics = await make('default', ['analytics-read']);
    keys.tenantA = await make('tenant-a', ['manage', 'upload']);
    keys.tenantB = await make('tenant-b', ['manage', 'upload']);
    keys.revoked = await make('default', ['manage', 'upload', 'analytics-read']);
    const revoked = await call(API_KEY, 'DELETE', `/api/v1/keys/${keys.revoked.split('_')[1]}`);
    expect(revoked.status).toBe(204);
  });
  afterAll(async () => {
    await ingest?.teardown();
  });

  const routes: {
    name: string;
    method: string;
    route: string;
    body?: unknown;
    scope: 'manage' | 'upload';
  }[] = [
    { name: 'create video', method: 'POST', route: '/api/v1/videos', body: { title: 'x' }, scope: 'manage' },
    {
      name: 'patch video',
      method: 'PATCH',
      route: '/api/v1/videos/abcdefgh12345678',
      body: { title: 'y' },
      scope: 'manage',
    },
    { name: 'delete video', method: 'DELETE', route: '/api/v1/videos/abcdefgh12345678', scope: 'manage' },
    { name: 'list keys', method: 'GET', route: '/api/v1/keys', scope: 'manage' },
    {
      name: 'direct upload',
      method: 'POST',
      route: '/api/v1/uploads/multipart',
      body: { filename: 'a.mp4', sizeBytes: 1 },
      scope: 'upload',
    },
  ];

  it.each(routes)(
    '$name: no key → 401, revoked key → 401, a key without $scope → 403',
    async ({ method, route, body, scope }) => {
      const noKey = await call(undefined, method, route, body);
      expect([noKey.status, noKey.body.error.code]).toEqual([401, 'ERR_UNAUTHORIZED']);
      const revoked = await call(keys.revoked, method, route, body);
      expect([revoked.status, revoked.body.error.code]).toEqual([401, 'ERR_UNAUTHORIZED']);
      const forged = await call(`${keys.manage.slice(0, -4)}AAAA`, method, route, body);
      expect(forged.status).toBe(401);
      const wrong = await call(scope === 'manage' ? keys.upload : keys.analytics, method, route, body);
      expect([wrong.status, wrong.body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
      expect(wrong.body.error.message).toContain(`'${scope}'`);
    },
  );

  it('tus uploads need the upload scope', async () => {
    const create = (apiKey?: string) =>
      createUploadRequest(ingest.baseUrl, {
        length: 10,
        metadata: { title: 't', filename: 'a.mp4' },
        ...(apiKey ? { apiKey } : {}),
      });
    expect((await create()).status).toBe(401);
    expect((await create(keys.revoked)).status).toBe(401);
    expect((await create(keys.manage)).status).toBe(403);
    expect((await create(keys.upload)).status).toBe(201);
  });

  it("another owner's upload URL answers 404 to HEAD, PATCH and DELETE; its owner resumes it", async () => {
    const created = await createUploadRequest(ingest.baseUrl, {
      length: 10,
      metadata: { title: 't', filename: 'a.mp4' },
      apiKey: keys.tenantA,
    });
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get('location')!, ingest.baseUrl).toString();
    const tus = (key: string, method: string, body?: Buffer) =>
      fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${key}`,
          'Tus-Resumable': '1.0.0',
          ...(body ? { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' } : {}),
        },
        ...(body ? { body } : {}),
      });
    for (const method of ['HEAD', 'DELETE']) expect((await tus(keys.tenantB, method)).status).toBe(404);
    expect((await tus(keys.tenantB, 'PATCH', Buffer.alloc(5, 1))).status).toBe(404);
    // Nothing of tenant B's attempts landed: tenant A still sees offset 0 and can write.
    const head = await tus(keys.tenantA, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
    expect((await tus(keys.tenantA, 'PATCH', Buffer.alloc(5, 1))).status).toBe(204);
  });

  it('an analytics-only key cannot read the catalog; an upload key can poll it', async () => {
    expect((await call(keys.analytics, 'GET', '/api/v1/videos')).status).toBe(403);
    expect((await call(keys.upload, 'GET', '/api/v1/videos')).status).toBe(200);
  });

  it('creates a key over HTTP that works at once and stops working when revoked', async () => {
    const created = await call(API_KEY, 'POST', '/api/v1/keys', {
      scopes: ['manage'],
      owner: 'tenant-c',
      name: 'ci',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      owner: 'tenant-c',
      scopes: ['manage'],
      name: 'ci',
      revokedAt: null,
    });
    expect(created.body.key).toMatch(/^sl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect((await call(created.body.key, 'POST', '/api/v1/videos', { title: 'Mine' })).status).toBe(201);
    // Listing never shows secrets.
    const listed = await call(API_KEY, 'GET', '/api/v1/keys');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key.split('_').slice(2).join('_'));
    expect((await call(API_KEY, 'DELETE', `/api/v1/keys/${created.body.id}`)).status).toBe(204);
    expect((await call(API_KEY, 'DELETE', `/api/v1/keys/${created.body.id}`)).status).toBe(204);
    expect((await call(created.body.key, 'GET', '/api/v1/videos')).status).toBe(401);
  });

  it('a key cannot mint a stronger key or one for another owner', async () => {
    const stronger = await call(keys.manage, 'POST', '/api/v1/keys', {
      scopes: ['manage', 'analytics-read'],
    });
    expect([stronger.status, stronger.body.error.message]).toEqual([
      403,
      'this key cannot grant scopes it lacks: analytics-read',
    ]);
    const otherOwner = await call(keys.tenantA, 'POST', '/api/v1/keys', {
      scopes: ['upload'],
      owner: 'tenant-b',
    });
    expect(otherOwner.status).toBe(403);
    const own = await call(keys.tenantA, 'POST', '/api/v1/keys', { scopes: ['upload'] });
    expect([own.status, own.body.owner]).toEqual([201, 'tenant-a']);
  });

  it('an owner sees, edits and deletes only its own videos', async () => {
    const a = (await call(keys.tenantA, 'POST', '/api/v1/videos', { title: 'Tenant A video' })).body;
    const b = (await call(keys.tenantB, 'POST', '/api/v1/videos', { title: 'Tenant B video' })).body;
    const listA = (await call(keys.tenantA, 'GET', '/api/v1/videos?q=tenant')).body.videos.map(
      (v: { id: string }) => v.id,
    );
    expect(listA).toEqual([a.id]);
    expect((await call(keys.tenantA, 'GET', `/api/v1/videos/${b.id}`)).status).toBe(404);
    expect((await call(keys.tenantA, 'PATCH', `/api/v1/videos/${b.id}`, { title: 'hijacked' })).status).toBe(
      404,
    );
    expect((await call(keys.tenantA, 'DELETE', `/api/v1/videos/${b.id}`)).status).toBe(204);
    expect((await call(keys.tenantB, 'GET', `/api/v1/videos/${b.id}`)).body.title).toBe('Tenant B video');
    // The default owner (operator) sees both.
    const all = (await call(API_KEY, 'GET', '/api/v1/videos?q=tenant')).body.videos.map(
      (v: { id: string }) => v.id,
    );
    expect(all.sort()).toEqual([a.id, b.id].sort());
  });

  it('answers 429 with Retry-After once a key spends its per-minute budget', async () => {
    const limited = (
      await createApiKey(ingest.catalog, { owner: 'default', scopes: ['manage'], rateLimitPerMinute: 3 })
    ).key;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await call(limited, 'GET', '/api/v1/videos?limit=1');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last?.body.error.code).toBe('ERR_RATE_LIMITED');
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another key is not affected.
    expect((await call(keys.manage, 'GET', '/api/v1/videos?limit=1')).status).toBe(200);
  });

  it('direct uploads on the local-folder store answer ERR_S3_REQUIRED naming S3_ENDPOINT', async () => {
    const res = await call(keys.upload, 'POST', '/api/v1/uploads/multipart', {
      filename: 'a.mp4',
      sizeBytes: 1024,
    });
    expect([res.status, res.body.error.code]).toEqual([501, 'ERR_S3_REQUIRED']);
    expect(res.body.error.message).toContain('S3_ENDPOINT');
  });
});
