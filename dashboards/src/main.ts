/**
 * Composition root of dashboards as its own process (services mode). It opens the catalog only (the
 * embed page and oEmbed read a video's policy and its owner's restrictions): it serves the dashboards
 * UI, the SDK files, and the watch and embed pages, which call the other services' APIs from the
 * browser on the same origin (nginx routes them).
 */
import { runProcess } from '@streamloop/service-kit/run-process';
import { mountDashboards } from './mount-dashboards.js';
import { mountPlayerPages } from './mount-player-pages.js';

await runProcess({
  name: 'dashboards',
  ports: ['catalog'],
  // The dashboards UI, the SDK files and the watch page serve without it; only /embed and /oembed read it.
  optionalPorts: ['catalog'],
  start: async ({ app, ports }) => {
    mountDashboards(app, {});
    mountPlayerPages(app, { collectorUrl: '/v1/beacons', catalog: ports.catalog });
    return { urls: { dashboards: '/dashboards/', watch: '/watch/<videoId>', embed: '/embed/<videoId>' } };
  },
});
