/**
 * `POST /api/v1/sql` `{ query, format: json | csv | arrow, params? }`: read-only SQL for data
 * scientists over the analytics database (docs/sql.md). JSON is an array of row objects, CSV has a
 * header line, Arrow is an IPC stream; all are streamed.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { AnalyticsStore, ReadonlyLimits } from '@streamloop/analytics-store/analytics-store';
import { AppError } from '@streamloop/core/errors';
import { type ApiKeyOption, createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_SQL_LIMITS, runAnalystSql, SQL_CONTENT_TYPES, type SqlFormat } from './sql-query.js';

export interface SqlRoutesDeps {
  analyticsStore: Pick<AnalyticsStore, 'readonlyQuery' | 'readonlyStream' | 'database'>;
  /**
   * The one guard of this route: SQL reads every row, one viewer's included, so scoped keys need
   * 'analytics-views' (the scope of the views list), not just 'analytics-read' (aggregates).
   */
  apiKey: ApiKeyOption;
  limits?: ReadonlyLimits;
}

export const MAX_SQL_LENGTH = 100_000;

const SqlBody = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: MAX_SQL_LENGTH }),
    format: Type.Unsafe<SqlFormat>({ type: 'string', enum: ['json', 'csv', 'arrow'], default: 'json' }),
    // Bound by the engine as {name:Type} placeholders; never spliced into the text.
    params: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Unsafe<string | number | boolean | null>({ type: ['string', 'number', 'boolean', 'null'] }),
      ),
    ),
  },
  { additionalProperties: false },
);

export function registerSqlRoutes(app: FastifyInstance, deps: SqlRoutesDeps): void {
  const limits = deps.limits ?? DEFAULT_SQL_LIMITS;
  const onRequest = createApiKeyGuard(deps.apiKey, 'analytics-views');
  app.post<{ Body: Static<typeof SqlBody> }>(
    '/api/v1/sql',
    { onRequest, schema: { body: SqlBody } },
    async (request, reply) => {
      let body: Awaited<ReturnType<typeof runAnalystSql>>;
      try {
        body = await runAnalystSql(deps.analyticsStore, request.body, limits);
      } catch (err) {
        if (err instanceof AppError) throw err;
        request.log.error({ err }, 'analyst SQL failed in the store');
        throw new AppError('ERR_DEPENDENCY_UNAVAILABLE', 'the analytics store did not answer; try again');
      }
      body.on('error', (err) => request.log.warn({ err }, 'analyst SQL result stream failed midway'));
      return reply
        .header('cache-control', 'private, no-store')
        .type(SQL_CONTENT_TYPES[request.body.format])
        .send(body);
    },
  );
}
