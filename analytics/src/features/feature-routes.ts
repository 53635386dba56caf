/**
 * The feature sets over HTTP, read from the feature store at request time, so any replica answers
 * what every reader sees:
 * - `GET /api/v1/features/status` (scope 'analytics-read'): every set's live and previous version
 *   (rows, bytes, checksum, when published, newest source event) and how fresh the live one is;
 * - `POST /api/v1/features/:set/rollback` (scope 'manage'): the previous version live again, the
 *   live one previous (a second rollback undoes the first); 409 when there is nothing to roll back to.
 */
import { Type } from '@sinclair/typebox';
import { AppError } from '@streamloop/core/errors';
import { FEATURE_SET_NAMES, FeatureSetName, FeatureStatusResponse } from '@streamloop/core/features';
import {
  FeatureSetStateError,
  featureSetStatus,
  rollbackFeatureSet,
} from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { type ApiKeyOption, createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { fromDependency } from '../from-dependency.js';

export interface FeatureRoutesDeps {
  featureStore: FeatureStore;
  apiKey: ApiKeyOption;
  now?: () => number;
}

const SetStatus = FeatureStatusResponse.properties.sets.items;

export function registerFeatureRoutes(app: FastifyInstance, deps: FeatureRoutesDeps): void {
  const status = (set: FeatureSetName) => featureSetStatus(deps.featureStore, set, deps.now);

  app.get<{ Reply: FeatureStatusResponse }>(
    '/api/v1/features/status',
    {
      onRequest: createApiKeyGuard(deps.apiKey, 'analytics-read'),
      schema: { response: { 200: FeatureStatusResponse } },
    },
    async (request, reply) => {
      const sets = await fromFeatureStore(request.log, () => Promise.all(FEATURE_SET_NAMES.map(status)));
      reply.header('cache-control', 'private, no-store');
      return { sets };
    },
  );

  app.post<{ Params: { set: FeatureSetName }; Reply: typeof SetStatus.static }>(
    '/api/v1/features/:set/rollback',
    {
      onRequest: createApiKeyGuard(deps.apiKey, 'manage'),
      schema: { params: Type.Object({ set: FeatureSetName }), response: { 200: SetStatus } },
    },
    async (request) => {
      const { set } = request.params;
      try {
        await rollbackFeatureSet(deps.featureStore, set);
      } catch (err) {
        if (err instanceof FeatureSetStateError) throw new AppError('ERR_CONFLICT', err.message);
        await fromFeatureStore(request.log, () => Promise.reject(err));
      }
      request.log.warn({ set, actor: request.principal?.owner }, 'feature set rolled back');
      return fromFeatureStore(request.log, () => status(set));
    },
  );
}

const fromFeatureStore = <T>(log: FastifyBaseLogger, read: () => Promise<T>): Promise<T> =>
  fromDependency(log, 'feature store', read);
