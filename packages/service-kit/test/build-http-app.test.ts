import { AppError } from '@streamloop/core/errors';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { Port } from '@streamloop/core/port';
import { describe, expect, it } from 'vitest';
import { createApiKeyGuard } from '../src/api-key.js';
import { buildHttpApp } from '../src/build-http-app.js';

const makePort = (overrides: Partial<Port> & { service?: string; port?: string } = {}): Port => ({
  adapter: {
    port: overrides.port ?? 'feature-store',
    kind: 'real',
    service: overrides.service ?? 'Redis',
    target: '127.0.0.1:6379',
  },
  ping: overrides.ping ?? (async () => undefined),
  close: async () => undefined,
});

const makeApp = (ports: Port[] = [], optionalPorts: Port[] = []) =>
  buildHttpApp({
    logger: createLogger({ name: 'test', level: 'silent' }),
    registry: createMetricsRegistry(),
    ports,
    optionalPorts,
  });
const refused = async () => Promise.reject(new Error('ECONNREFUSED'));

describe('buildHttpApp', () => {
  it('answers /readyz 503 naming the dependency that does not answer', async () => {
    const app = makeApp([
      makePort(),
      makePort({ service: 'Redis', ping: async () => Promise.reject(new Error('ECONNREFUSED')) }),
    ]);
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json().failing).toEqual(['feature-store (Redis at 127.0.0.1:6379): ECONNREFUSED']);
  });

  it('stays 200 and reports `degraded` when only a dependency it serves without fails', async () => {
    const app = makeApp([makePort({ port: 'object-store', service: 'S3' })], [makePort({ ping: refused })]);
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'degraded',
      degraded: ['feature-store (Redis at 127.0.0.1:6379): ECONNREFUSED'],
    });
    expect(
      res
        .json()
        .dependencies.map((d: { port: string; required: boolean; ok: boolean }) => [
          d.port,
          d.required,
          d.ok,
        ]),
    ).toEqual([
      ['object-store', true, true],
      ['feature-store', false, false],
    ]);
  });

  it('answers 503 for a failing required dependency even when optional ones answer', async () => {
    const app = makeApp([makePort({ port: 'catalog', service: 'PostgreSQL', ping: refused })], [makePort()]);
    const res = await app.inject('/readyz');
    expect([res.statusCode, res.json().status]).toEqual([503, 'unavailable']);
    expect(res.json().failing).toEqual(['catalog (PostgreSQL at 127.0.0.1:6379): ECONNREFUSED']);
    expect(res.json().degraded).toBeUndefined();
  });

  it('maps AppError codes to their status and hides internals of unexpected errors', async () => {
    const app = makeApp();
    app.get('/too-big', async () => {
      throw new AppError('ERR_UPLOAD_TOO_LARGE', 'over 10 GiB');
    });
    app.get('/boom', async () => {
      throw new Error('password=hunter2 at db.internal');
    });
    const tooBig = await app.inject('/too-big');
    expect([tooBig.statusCode, tooBig.json()]).toEqual([
      413,
      { error: { code: 'ERR_UPLOAD_TOO_LARGE', message: 'over 10 GiB' } },
    ]);
    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('hunter2');
    expect(boom.json().error.code).toBe('ERR_INTERNAL');
  });

  it('answers unknown routes with ERR_NOT_FOUND', async () => {
    const res = await makeApp().inject('/nope?x=1');
    expect([res.statusCode, res.json().error]).toEqual([
      404,
      { code: 'ERR_NOT_FOUND', message: 'no route GET /nope' },
    ]);
  });
});

describe('createApiKeyGuard', () => {
  const app = makeApp();
  app.get('/secret', { preHandler: createApiKeyGuard('k'.repeat(20)) }, async () => ({ ok: true }));

  it.each([
    ['no header', undefined, 401],
    ['another scheme', 'Basic abc', 401],
    ['a wrong key', `Bearer ${'x'.repeat(20)}`, 401],
    ['a prefix of the key', `Bearer ${'k'.repeat(19)}`, 401],
    ['the key', `Bearer ${'k'.repeat(20)}`, 200],
  ])('%s → %i', async (_what, authorization, status) => {
    const res = await app.inject({ url: '/secret', headers: authorization ? { authorization } : {} });
    expect(res.statusCode).toBe(status);
  });
});
