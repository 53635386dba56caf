/**
 * `GET /api/v1/experiments/:id/results?synthetic=real|synthetic|all&egressUsdPerGb=&storageUsdPerGbMonth=`
 * (scope 'analytics-read'): the experiment's arms side by side, lifts against control with always-valid
 * intervals, guardrails, SRM, the primary metric's MDE and p-value timeline, egress and storage cost
 * and watch share per rung per arm.
 * Real viewers only unless asked. A breached guardrail stops its arm here, as real viewers' results
 * are read (experiment-guardrails.ts), and the answer names the arms it stopped; read with simulated
 * viewers it only reports the breach (`guardrailsEnforced: false`).
 */
import { Type } from '@sinclair/typebox';
import type { Catalog } from '@streamloop/catalog/catalog';
import { requireExperiment } from '@streamloop/catalog/experiment-repository';
import { AppError } from '@streamloop/core/errors';
import { ExperimentResults } from '@streamloop/core/experiments';
import { DEFAULT_ALPHA } from '@streamloop/experiment-stats/lift';
import { type ApiKeyOption, createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import type { AnalyticsTarget } from '../beacons-table.js';
import { parseSyntheticScope } from '../qoe-filters.js';
import { scopeProperties } from '../qoe-route-schemas.js';
import { fromStore } from '../qoe-routes.js';
import { enforceGuardrails, guardrailsEnforced } from './experiment-guardrails.js';
import { DEFAULT_EGRESS_USD_PER_GB, readExperimentResults } from './experiment-results.js';
import { DEFAULT_STORAGE_USD_PER_GB_MONTH, readArmStorage } from './experiment-storage.js';

export interface ExperimentResultsRouteDeps {
  analyticsStore: AnalyticsTarget;
  catalog: Catalog;
  apiKey: ApiKeyOption;
  egressUsdPerGb?: number;
  /** Default DEFAULT_STORAGE_USD_PER_GB_MONTH (S3 Standard list price). */
  storageUsdPerGbMonth?: number;
  now?: () => number;
}

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
// Unknown keys are refused by the handler, not stripped by the validator: a misspelt `synthetic`
// must not quietly count real viewers only.
const Query = Type.Object({
  ...scopeProperties,
  egressUsdPerGb: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
  storageUsdPerGbMonth: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
});

export function registerExperimentResultsRoute(app: FastifyInstance, deps: ExperimentResultsRouteDeps): void {
  const now = deps.now ?? Date.now;
  const onRequest = createApiKeyGuard(deps.apiKey, 'analytics-read');
  app.get<{
    Params: typeof Params.static;
    Querystring: typeof Query.static;
    Reply: typeof ExperimentResults.static;
  }>(
    '/api/v1/experiments/:id/results',
    { onRequest, schema: { params: Params, querystring: Query, response: { 200: ExperimentResults } } },
    async (request, reply) => {
      const unknown = Object.keys(request.query).filter((key) => !(key in Query.properties));
      if (unknown.length > 0) throw new AppError('ERR_VALIDATION', `unknown query parameter "${unknown[0]}"`);
      const scope = parseSyntheticScope(request.query.synthetic);
      if (!scope.ok) throw new AppError('ERR_VALIDATION', scope.message);
      const experiment = await requireExperiment(deps.catalog, request.params.id);
      const nowMs = now();
      const storage = await readArmStorage(deps.catalog, experiment, nowMs);
      const results = await fromStore(request.log, () =>
        readExperimentResults(deps.analyticsStore, experiment, {
          scope: scope.scope,
          alpha: DEFAULT_ALPHA,
          egressUsdPerGb: request.query.egressUsdPerGb ?? deps.egressUsdPerGb ?? DEFAULT_EGRESS_USD_PER_GB,
          storage,
          storageUsdPerGbMonth:
            request.query.storageUsdPerGbMonth ??
            deps.storageUsdPerGbMonth ??
            DEFAULT_STORAGE_USD_PER_GB_MONTH,
          nowMs,
        }),
      );
      const armsStopped = await enforceGuardrails(deps.catalog, results);
      // The answer shows the arms as they are now, stops of this request included.
      const arms =
        armsStopped.length === 0
          ? results.arms
          : await requireExperiment(deps.catalog, experiment.id).then((current) =>
              results.arms.map((arm) => ({
                ...arm,
                stopped: current.arms.find((a) => a.name === arm.name)?.stopped ?? arm.stopped,
              })),
            );
      reply.header('cache-control', 'private, no-store');
      return { ...results, arms, guardrailsEnforced: guardrailsEnforced(results), armsStopped };
    },
  );
}
