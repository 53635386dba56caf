import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { afterAll, describe, expect, it } from 'vitest';
import { mountDashboards } from '../src/mount-dashboards.js';

const app = buildHttpApp({
  logger: createLogger({ name: 'dashboards-test', level: 'silent' }),
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  ports: [],
});
mountDashboards(app, {});
afterAll(() => app.close());

const METRICS = ['plays', 'viewers', 'startup-p50', 'startup-p95', 'rebuffer-ratio', 'watch-time', 'errors'];

describe('GET /dashboards/', () => {
  it('serves the page under a strict CSP whose nonce is on its only script and style', async () => {
    const res = await app.inject({ method: 'GET', url: '/dashboards/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const csp = String(res.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);

    const html = res.body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
    expect(scripts).toEqual([` type="module" nonce="${nonce}"`]);
    expect([...html.matchAll(/<style\b([^>]*)>/g)].map((m) => m[1])).toEqual([` nonce="${nonce}"`]);
    // Inline handlers and style attributes would be blocked by that CSP: none may exist.
    expect(html).not.toMatch(/\son[a-z]+=|\sstyle=/i);
    expect(html).not.toContain('{{');
    for (const metric of METRICS) expect(html).toContain(`data-metric="${metric}"`);
  });

  it('uses a fresh nonce for every response', async () => {
    const nonces = await Promise.all(
      [1, 2, 3].map(
        async () =>
          (await app.inject({ method: 'GET', url: '/dashboards/' })).headers['content-security-policy'],
      ),
    );
    expect(new Set(nonces).size).toBe(3);
  });

  it('redirects /dashboards to /dashboards/, keeping the query', async () => {
    const res = await app.inject({ method: 'GET', url: '/dashboards?videoId=abc' });
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe('/dashboards/?videoId=abc');
  });
});
