/**
 * Everything a viewer's browser loads from streamloop outside the dashboards: the SDK files
 * (`/sdk/`), the watch page, the iframe embed and its oEmbed description. The single-process stack
 * and the dashboards process mount the same set.
 */
import type { FastifyInstance } from 'fastify';
import { type EmbedPageDeps, registerEmbedPage } from './embed-page.js';
import { registerOembedRoute } from './oembed-route.js';
import { registerSdkRoutes, type SdkRoutesDeps } from './sdk-routes.js';
import { registerWatchPage } from './watch-page.js';

export type PlayerPagesDeps = EmbedPageDeps & SdkRoutesDeps;

export function mountPlayerPages(app: FastifyInstance, deps: PlayerPagesDeps): void {
  registerSdkRoutes(app, deps);
  registerWatchPage(app, deps);
  registerEmbedPage(app, deps);
  registerOembedRoute(app, deps);
}
