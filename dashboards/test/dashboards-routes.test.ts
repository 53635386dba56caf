import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARD_PAGES, mountDashboards } from '../src/mount-dashboards.js';

const app = buildHttpApp({
  logger: createLogger({ name: 'dashboards-test', level: 'silent' }),
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  ports: [],
});
mountDashboards(app, {});
afterAll(() => app.close());

const METRICS = ['plays', 'viewers', 'startup-p50', 'startup-p95', 'rebuffer-ratio', 'watch-time', 'errors'];

/** What each page must carry beyond the shared frame: its own numbers' elements. */
const PAGE_MARKERS: Record<string, string[]> = {
  overview: METRICS.map((metric) => `data-metric="${metric}"`),
  breakdown: ['id="dimension"', 'id="breakdown-rows"'],
  sessions: ['id="sessions-rows"', '<th scope="col">Cohort</th>', '<th scope="col">Network class</th>'],
  experiments: ['id="experiments-rows"'],
  recommendations: [
    'id="feature-sets-rows"',
    '<th scope="col">Freshness</th>',
    'id="rollback-result"',
    'data-metric="coverage"',
    'id="click-through-rows"',
    'id="recommended-qoe-rows"',
  ],
  alerts: ['id="alert-rules-rows"', 'id="new-rule"', 'id="rule-form-error"', 'id="alert-events-rows"'],
  live: [
    'data-metric="concurrent-viewers"',
    'data-metric="start-failures"',
    'id="live-video"',
    'id="viewers-chart"',
    'id="starts-chart"',
    // uPlot's stylesheet, bundled with the page and inlined under the nonce (never from a CDN).
    '.uplot,.uplot *',
  ],
  videos: ['id="videos-rows"', 'id="videos-more"'],
  renditions: ['id="usd-per-gb"', 'id="rungs-rows"', 'id="ladders-rows"'],
  view: ['id="view-context"', 'id="view-chart"', 'id="view-events-rows"', 'id="view-cmcd-rows"'],
  experiment: [
    'id="arms-rows"',
    'id="comparisons"',
    'id="guardrails-rows"',
    'id="srm"',
    'id="timeline-rows"',
    'valid for <strong>one pre-planned look only</strong>',
  ],
};

/**
 * The QoE pages pick a video and a time range, the recommendations page a time range alone; the
 * experiment pages neither.
 */
const VIDEO_FILTER = ['id="video"'];
const TIME_RANGE = ['id="from"', 'id="to"', 'data-range-hours="24"'];

describe.each(DASHBOARD_PAGES)('GET $path', (page) => {
  it('serves the page under a strict CSP whose nonce is on its only script and style', async () => {
    const res = await app.inject({ method: 'GET', url: page.path });
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
    expect(html).toContain(`<body data-page="${page.name}"`);
    for (const marker of PAGE_MARKERS[page.name] ?? []) expect(html).toContain(marker);
    for (const marker of VIDEO_FILTER) {
      if (page.filters === 'qoe-filters') expect(html).toContain(marker);
      else expect(html).not.toContain(marker);
    }
    for (const marker of TIME_RANGE) {
      if (page.filters !== undefined) expect(html).toContain(marker);
      else expect(html).not.toContain(marker);
    }
    // Every page links to every other one from the same nav (one experiment and one view are opened
    // from their lists instead).
    for (const other of DASHBOARD_PAGES.filter((p) => p.name !== 'experiment' && p.name !== 'view')) {
      expect(html).toContain(`data-nav="${other.name}"`);
    }
  });

  it('offers the viewer scope (real viewers by default) and has the synthetic banner ready', async () => {
    const html = (await app.inject({ method: 'GET', url: page.path })).body;
    const scope = /<select id="scope" name="synthetic">([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
    expect(
      [...scope.matchAll(/<option value="([a-z]+)">([^<]+)<\/option>/g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ['real', 'Real viewers'],
      ['synthetic', 'Simulated'],
      ['all', 'All'],
    ]);
    expect(html).toMatch(/<p id="synthetic-banner"[^>]*\bhidden>/);
    expect(html).toContain('<button id="show-synthetic" type="button">Show simulated viewers</button>');
  });

  it('inlines a bundle that carries no server code (core comes in as types only)', async () => {
    const html = (await app.inject({ method: 'GET', url: page.path })).body;
    const script = /<script type="module" nonce="[^"]+">([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    expect(script.length).toBeGreaterThan(1000);
    expect(script).not.toMatch(/\bnode:|@sinclair\/typebox|require\(/);
  });

  it('uses a fresh nonce for every response', async () => {
    const nonces = await Promise.all(
      [1, 2, 3].map(
        async () => (await app.inject({ method: 'GET', url: page.path })).headers['content-security-policy'],
      ),
    );
    expect(new Set(nonces).size).toBe(3);
  });
});

describe('GET /dashboards', () => {
  it('redirects to /dashboards/, keeping the query', async () => {
    const res = await app.inject({ method: 'GET', url: '/dashboards?videoId=abc&synthetic=all' });
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe('/dashboards/?videoId=abc&synthetic=all');
  });
});
