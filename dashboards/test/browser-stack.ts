/**
 * The app most dashboards browser tests run the pages against: the pages themselves, analytics' real
 * QoE routes over the beacon pipeline (beacon-pipeline.ts), ingest's real catalog list on a scratch
 * PostgreSQL database, the operator key, and Debian's Chromium on a page that collects its console
 * errors. `seed` fills the catalog and publishes beacons before anything listens; `ready` says when
 * they have all reached ClickHouse.
 */
import { registerQoeRoutes } from '@streamloop/analytics/qoe-routes';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import type { Logger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { eventually } from '@streamloop/core/testing';
import { registerVideoRoutes } from '@streamloop/ingest/video-routes';
import { createApiKeyAuth } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { mountDashboards } from '../src/mount-dashboards.js';
import { type BeaconPipeline, CHROMIUM, openBeaconPipeline, pageProblemsOf } from './beacon-pipeline.js';

export interface BrowserStack {
  app: FastifyInstance;
  baseUrl: string;
  catalog: ReturnType<typeof createPgCatalog>;
  pipeline: BeaconPipeline;
  browser: Browser;
  page: Page;
  /** The page's console errors and uncaught exceptions so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function openBrowserStack(options: {
  /** Names the scratch database and the data directory. */
  name: string;
  apiKey: string;
  logger: Logger;
  seed(stack: { catalog: BrowserStack['catalog']; pipeline: BeaconPipeline }): Promise<void>;
  /** True once the seeded beacons are all queryable (asked through the app with the key). */
  ready(app: FastifyInstance): Promise<boolean>;
  /**
   * The privacy floor's k. Default 1 (off): the hand-worked fixtures have a viewer or two a cell;
   * privacy-browser.test.ts runs the production default.
   */
  privacyMinViewers?: number | 'production default';
}): Promise<BrowserStack> {
  const scratch = await createScratchDatabase(postgresUrl(), options.name.replaceAll('-', '_'));
  const catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
  await catalog.migrate();
  const pipeline = await openBeaconPipeline(options.logger, options.name);
  await options.seed({ catalog, pipeline });

  const app = buildHttpApp({
    logger: options.logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  const auth = createApiKeyAuth({ legacyKey: options.apiKey, catalog });
  mountDashboards(app, {});
  registerQoeRoutes(app, {
    analyticsStore: pipeline.store,
    apiKey: auth,
    ...(options.privacyMinViewers === 'production default'
      ? {}
      : { privacyMinViewers: options.privacyMinViewers ?? 1 }),
  });
  registerVideoRoutes(app, {
    catalog,
    auth,
    // The pages delete no video; a delete here would be a bug in a test.
    deleteVideo: async () => {
      throw new Error('the dashboards browser tests delete no video');
    },
  });
  await eventually(`the ${options.name} beacons in ClickHouse`, async () =>
    (await options.ready(app)) ? true : undefined,
  );
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch(CHROMIUM);
  const page = await (await browser.newContext()).newPage();
  const problems = pageProblemsOf(page);
  return {
    app,
    baseUrl,
    catalog,
    pipeline,
    browser,
    page,
    problems,
    async close() {
      await browser.close();
      await app.close();
      await pipeline.close();
      await catalog.close();
      await scratch.drop();
    },
  };
}

/** The plays the QoE API counts for a video (default range, real viewers): a stack's `ready` check. */
export async function playsOf(
  app: FastifyInstance,
  apiKey: string,
  videoId: string,
  range = '',
): Promise<number> {
  const res = await app.inject({
    method: 'GET',
    url: `/api/v1/qoe/overview?videoId=${encodeURIComponent(videoId)}${range}`,
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return res.json<{ plays: number }>().plays;
}
