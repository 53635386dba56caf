/**
 * QoE alert rules and events over HTTP (core's schemas/alerts.ts), kept in the catalog so every
 * analytics replica answers the same:
 * - `GET /api/v1/alerts/rules` (scope 'analytics-read'): every rule with its state and last reading;
 * - `POST /api/v1/alerts/rules` (scope 'manage'): a new rule, in state ok; 400 naming the field for a
 *   bad body (unknown metric, threshold out of the metric's range, window outside 5–1440 minutes…),
 *   409 when the fleet already holds MAX_ALERT_RULES;
 * - `DELETE /api/v1/alerts/rules/:id` (scope 'manage'): 204, or 404 for an unknown rule; its events go
 *   with it;
 * - `GET /api/v1/alerts/events?limit=&ruleId=` (scope 'analytics-read'): state changes, newest first,
 *   with how the webhook took each.
 */
import { Type } from '@sinclair/typebox';
import {
  createAlertRule,
  deleteAlertRule,
  listAlertEvents,
  listAlertRules,
} from '@streamloop/catalog/alert-repository';
import type { Catalog } from '@streamloop/catalog/catalog';
import { AppError } from '@streamloop/core/errors';
import {
  ALERT_RULE_ID_PATTERN,
  AlertEventsQuery,
  AlertEventsResponse,
  AlertRule,
  AlertRulesResponse,
  CreateAlertRuleBody,
} from '@streamloop/core/schemas/alerts';
import { type ApiKeyOption, createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { fromDependency } from '../from-dependency.js';

export interface AlertRoutesDeps {
  catalog: Catalog;
  apiKey: ApiKeyOption;
}

const RULES_PATH = '/api/v1/alerts/rules';

export function registerAlertRoutes(app: FastifyInstance, deps: AlertRoutesDeps): void {
  const read = createApiKeyGuard(deps.apiKey, 'analytics-read');
  const manage = createApiKeyGuard(deps.apiKey, 'manage');
  const fromCatalog = <T>(request: { log: FastifyInstance['log'] }, work: () => Promise<T>) =>
    fromDependency(request.log, 'catalog', work);

  app.get<{ Reply: AlertRulesResponse }>(
    RULES_PATH,
    { onRequest: read, schema: { response: { 200: AlertRulesResponse } } },
    async (request, reply) => {
      reply.header('cache-control', 'private, no-store');
      return { rules: await fromCatalog(request, () => listAlertRules(deps.catalog)) };
    },
  );

  app.post<{ Body: CreateAlertRuleBody; Reply: AlertRule }>(
    RULES_PATH,
    { onRequest: manage, schema: { body: CreateAlertRuleBody, response: { 201: AlertRule } } },
    async (request, reply) => {
      const owner = request.principal?.owner ?? 'unknown';
      const rule = await fromCatalog(request, () => createAlertRule(deps.catalog, request.body, owner));
      request.log.info({ ruleId: rule.id, metric: rule.metric, actor: owner }, 'alert rule created');
      reply.code(201);
      return rule;
    },
  );

  app.delete<{ Params: { id: string } }>(
    `${RULES_PATH}/:id`,
    {
      onRequest: manage,
      schema: { params: Type.Object({ id: Type.String({ pattern: ALERT_RULE_ID_PATTERN }) }) },
    },
    async (request, reply) => {
      const { id } = request.params;
      const deleted = await fromCatalog(request, () => deleteAlertRule(deps.catalog, id));
      if (!deleted) throw new AppError('ERR_NOT_FOUND', `no alert rule with id ${id}`);
      request.log.info({ ruleId: id, actor: request.principal?.owner }, 'alert rule deleted');
      reply.code(204);
    },
  );

  app.get<{ Querystring: AlertEventsQuery; Reply: AlertEventsResponse }>(
    '/api/v1/alerts/events',
    { onRequest: read, schema: { querystring: AlertEventsQuery, response: { 200: AlertEventsResponse } } },
    async (request, reply) => {
      const { limit = 50, ruleId } = request.query;
      reply.header('cache-control', 'private, no-store');
      const events = await fromCatalog(request, () =>
        listAlertEvents(deps.catalog, { limit, ...(ruleId === undefined ? {} : { ruleId }) }),
      );
      return { events };
    },
  );
}
