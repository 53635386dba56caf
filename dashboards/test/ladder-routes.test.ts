/** `/dashboards/ladder`: the per-title ladder page is served with its parts, and every page links to it. */
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARD_PAGES, mountDashboards } from '../src/mount-dashboards.js';

const app = buildHttpApp({
  logger: createLogger({ name: 'dashboards-ladder-test', level: 'silent' }),
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  ports: [],
});
mountDashboards(app, {});
afterAll(() => app.close());

/** What a person uses on the page: the video, the plan's panels, the form, its errors, the button. */
const LADDER_IDS = [
  'ladder-video',
  'plan-error',
  'constraints',
  'max-rungs',
  'min-bitrate',
  'max-bitrate',
  'drop-below',
  'replan',
  'open-experiment',
  'constraints-error',
  'experiment-result',
  'bits-ratio',
  'quality-gain',
  'proposed-bits',
  'current-bits',
  'current-storage',
  'hull-chart-box',
  'hull-legend',
  'audience-source',
  'reference-note',
  'audience-chart-box',
  'quantiles-rows',
  'proposed-rows',
  'current-rows',
];

describe('GET /dashboards/ladder', () => {
  it('serves the per-title ladder page, for a video named in the query too', async () => {
    for (const url of ['/dashboards/ladder', '/dashboards/ladder?videoId=vid-123&maxRungs=3']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      const html = res.body;
      expect(html).toContain('<title>streamloop · Per-title ladder</title>');
      expect(html).toContain('<body data-page="ladder"');
      for (const id of LADDER_IDS) expect(html).toContain(`id="${id}"`);
      // Shown only while the plan's audience is the assumed one.
      expect(html).toMatch(
        /<p id="reference-note"[^>]*hidden>Reference audience \(assumed, nothing measured yet\)<\/p>/,
      );
      // The API's errors and the experiment's answer wait hidden.
      for (const id of ['plan-error', 'constraints-error', 'experiment-result'])
        expect(html).toMatch(new RegExp(`<p id="${id}"[^>]*\\bhidden>`));
    }
  });

  it('is linked from every page, so a QoE page carries its video to it', async () => {
    expect(DASHBOARD_PAGES.find((page) => page.name === 'ladder')?.path).toBe('/dashboards/ladder');
    for (const page of DASHBOARD_PAGES) {
      const html = (await app.inject({ method: 'GET', url: page.path })).body;
      expect(html).toContain('<a href="ladder" data-nav="ladder">Ladder</a>');
    }
  });
});
