/** The experiment results route alone on an app, over a chdb session and a catalog, with a fixed clock. */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import type { Catalog } from '@streamloop/catalog/catalog';
import type { ExperimentResults } from '@streamloop/core/experiments';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { createApiKeyAuth } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { registerExperimentResultsRoute } from '../src/experiments/experiment-results-route.js';

const API_KEY = 'test-api-key-0123456789';

export function experimentResultsApp(deps: { store: AnalyticsStore; catalog: Catalog; nowMs: number }): {
  app: FastifyInstance;
  /** The answer for `id` (`query`: '?…'), asserting a 200. */
  results(id: string, query?: string): Promise<ExperimentResults>;
} {
  const app = buildHttpApp({
    logger: createLogger({ name: 'experiment-results-app', level: 'silent' }),
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  registerExperimentResultsRoute(app, {
    analyticsStore: deps.store,
    catalog: deps.catalog,
    apiKey: createApiKeyAuth({ legacyKey: API_KEY, catalog: deps.catalog }),
    now: () => deps.nowMs,
  });
  return {
    app,
    async results(id, query = '') {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/experiments/${id}/results${query}`,
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as ExperimentResults;
    },
  };
}
