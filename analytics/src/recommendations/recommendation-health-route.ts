/**
 * `GET /api/v1/recommendations/health?from=&to=&synthetic=` (scope 'analytics-read', as the QoE API):
 * coverage, click-through per reason and the QoE of recommended views against the others
 * (recommendation-health.ts). `from`/`to` and `synthetic` mean what they mean on the QoE routes
 * (time-range.ts, qoe-filters.ts): the last 24 h and real viewers by default, whole minutes, and the
 * answer echoes the range and scope it used. A wrong parameter is a 400 ERR_VALIDATION naming the fix;
 * ClickHouse or the catalog not answering is a 503.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { Queryable } from '@streamloop/catalog/catalog';
import { AppError } from '@streamloop/core/errors';
import { RecommendationHealthResponse } from '@streamloop/core/schemas/recommendations';
import { type ApiKeyOption, createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import type { AnalyticsTarget } from '../beacons-table.js';
import { fromDependency } from '../from-dependency.js';
import { parseSyntheticScope } from '../qoe-filters.js';
import { filterProperties, scopeProperties } from '../qoe-route-schemas.js';
import { alignToMinutes, parseTimeRange } from '../time-range.js';
import { getRecommendationHealth } from './recommendation-health.js';

export const RECOMMENDATION_HEALTH_PATH = '/api/v1/recommendations/health';

export interface RecommendationHealthRouteDeps {
  analyticsStore: AnalyticsTarget;
  catalog: Queryable;
  apiKey: ApiKeyOption;
  /** The clock the default range ends at. */
  now?: () => number;
}

const HealthQuerystring = Type.Object({
  from: filterProperties.from,
  to: filterProperties.to,
  ...scopeProperties,
});

export function registerRecommendationHealthRoute(
  app: FastifyInstance,
  deps: RecommendationHealthRouteDeps,
): void {
  const now = deps.now ?? Date.now;
  app.get<{ Querystring: Static<typeof HealthQuerystring>; Reply: RecommendationHealthResponse }>(
    RECOMMENDATION_HEALTH_PATH,
    {
      // onRequest, as the QoE routes: a caller without the key learns nothing about the parameters.
      onRequest: createApiKeyGuard(deps.apiKey, 'analytics-read'),
      schema: { querystring: HealthQuerystring, response: { 200: RecommendationHealthResponse } },
    },
    async (request, reply) => {
      // A misspelt parameter must not quietly fall back to the defaults.
      const unknown = Object.keys(request.query).filter((key) => !(key in HealthQuerystring.properties));
      if (unknown.length > 0) {
        throw new AppError(
          'ERR_VALIDATION',
          `unknown query parameter ${unknown.map((key) => JSON.stringify(key)).join(', ')}; this route takes from, to and synthetic`,
        );
      }
      const scope = parseSyntheticScope(request.query.synthetic);
      if (!scope.ok) throw new AppError('ERR_VALIDATION', scope.message);
      const parsed = parseTimeRange(request.query, now());
      if (!parsed.ok) throw new AppError('ERR_VALIDATION', parsed.message);
      const range = alignToMinutes(parsed);
      const health = await fromDependency(request.log, 'analytics store or catalog', () =>
        getRecommendationHealth(deps, { ...range, synthetic: scope.scope }),
      );
      reply.header('cache-control', 'private, no-store');
      return {
        from: new Date(range.fromMs).toISOString(),
        to: new Date(range.toMs).toISOString(),
        synthetic: scope.scope,
        ...health,
      };
    },
  );
}
