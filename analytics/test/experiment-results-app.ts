/**
 * The experiment results route alone on an app, over a chdb session and a catalog, with a fixed clock;
 * and a running two-arm experiment to read.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createExperiment, startExperiment } from '@streamloop/catalog/experiment-repository';
import { createLadderVersion, getLadder, seedLadders } from '@streamloop/catalog/ladder-repository';
import type { ExperimentDefinition, ExperimentResults } from '@streamloop/core/experiments';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { createApiKeyAuth } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { registerExperimentResultsRoute } from '../src/experiments/experiment-results-route.js';

const API_KEY = 'test-api-key-0123456789';
/** The header of a key that holds every scope (the legacy key). */
export const RESULTS_AUTH = { authorization: `Bearer ${API_KEY}` };

export function experimentResultsApp(deps: {
  store: AnalyticsStore;
  catalog: Catalog;
  /** The route's clock: a fixed instant, or a function for a test that moves it. */
  now: number | (() => number);
}): {
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
    now: typeof deps.now === 'number' ? () => deps.now as number : deps.now,
  });
  return {
    app,
    async results(id, query = '') {
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/experiments/${id}/results${query}`,
        headers: RESULTS_AUTH,
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as ExperimentResults;
    },
  };
}

/**
 * A running 50/50 experiment on `videoIds`: control on the `default` ladder, `no-low` a derived ladder
 * keeping the rungs of 480p and up; the ladders are seeded first (idempotent).
 */
export async function startTwoArmExperiment(
  catalog: Catalog,
  options: {
    name: string;
    videoIds: string[];
    guardrails?: ExperimentDefinition['guardrails'];
  },
): Promise<{ id: string; startedAtMs: number }> {
  await seedLadders(catalog, [DEFAULT_LADDER]);
  if ((await getLadder(catalog, 'no-low')) === undefined) {
    await createLadderVersion(
      catalog,
      { id: 'no-low', derivedFrom: { ladderId: 'default' }, filter: { minHeight: 480 } },
      'test',
    );
  }
  const experiment = await createExperiment(
    catalog,
    {
      name: options.name,
      scope: { videoIds: options.videoIds },
      arms: [
        { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
        { name: 'no-low', ladderId: 'no-low', trafficPercent: 50 },
      ],
      primaryMetric: 'rebuffer_ratio',
      guardrails: options.guardrails ?? [],
      minimumViewersPerArm: 100,
    },
    'test',
  );
  const { startedAt } = (await startExperiment(catalog, experiment.id, 'test')).experiment;
  return { id: experiment.id, startedAtMs: Date.parse(startedAt ?? '') };
}
