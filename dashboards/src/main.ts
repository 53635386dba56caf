/**
 * Composition root of dashboards as its own process (services mode). It opens no ports: it serves the
 * dashboards UI and the `/watch/:id` player page, both of which call the other services' APIs from
 * the browser on the same origin (nginx routes them).
 */
import { runProcess } from '@streamloop/service-kit/run-process';
import { mountDashboards } from './mount-dashboards.js';
import { registerWatchPage } from './watch-page.js';

await runProcess({
  name: 'dashboards',
  ports: [],
  start: async ({ app }) => {
    mountDashboards(app, {});
    registerWatchPage(app, { collectorUrl: '/v1/beacons' });
    return { urls: { dashboards: '/dashboards/', watch: '/watch/<videoId>' } };
  },
});
