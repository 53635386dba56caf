/**
 * The QoE API. `GET /api/v1/qoe/overview?videoId=&from=&to=` — plays, viewers, startup time,
 * rebuffering, watch time and errors of one video over a time range (default: the last 24 hours).
 */
import { AppError } from '@streamloop/core/errors';
import { createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import type { AnalyticsTarget } from './beacons-table.js';
import { getOverview, type Overview } from './qoe-queries.js';
import { parseTimeRange } from './time-range.js';

export interface QoeRoutesDeps {
  analyticsStore: AnalyticsTarget;
  /** Management API key: every QoE route needs `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** The clock the default range ends at. */
  now?: () => number;
}

export interface OverviewQuery {
  videoId: string;
  from?: string;
  to?: string;
}

export interface OverviewResponse extends Overview {
  videoId: string;
  /** The range actually used, ISO 8601 UTC; `to` is exclusive. */
  from: string;
  to: string;
}

const nullableNumber = { type: ['number', 'null'] } as const;
const count = { type: 'integer', minimum: 0 } as const;

const overviewSchema = {
  querystring: {
    type: 'object',
    properties: {
      // Same rule as a beacon's videoId (core/schemas/beacon.ts).
      videoId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' },
      from: { type: 'string', minLength: 1, maxLength: 64 },
      to: { type: 'string', minLength: 1, maxLength: 64 },
    },
    required: ['videoId'],
  },
  response: {
    200: {
      type: 'object',
      properties: {
        videoId: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        plays: count,
        viewers: count,
        startupTimeMs: {
          type: 'object',
          properties: { p50: nullableNumber, p95: nullableNumber },
          required: ['p50', 'p95'],
        },
        rebufferRatio: nullableNumber,
        rebufferCount: count,
        rebufferTimeMs: { type: 'number' },
        watchTimeMs: { type: 'number' },
        errors: count,
      },
      required: [
        'videoId',
        'from',
        'to',
        'plays',
        'viewers',
        'startupTimeMs',
        'rebufferRatio',
        'watchTimeMs',
        'errors',
      ],
    },
  },
} as const;

export function registerQoeRoutes(app: FastifyInstance, deps: QoeRoutesDeps): void {
  const now = deps.now ?? Date.now;
  // onRequest, not preHandler: a caller without the key learns nothing, not even which parameters are wrong.
  const onRequest = createApiKeyGuard(deps.apiKey);

  app.get<{ Querystring: OverviewQuery }>(
    '/api/v1/qoe/overview',
    { onRequest, schema: overviewSchema },
    async (request, reply): Promise<OverviewResponse> => {
      const { videoId } = request.query;
      const range = parseTimeRange(request.query, now());
      if (!range.ok) throw new AppError('ERR_VALIDATION', range.message);
      let overview: Overview;
      try {
        overview = await getOverview(deps.analyticsStore, {
          videoId,
          fromMs: range.fromMs,
          toMs: range.toMs,
        });
      } catch (err) {
        request.log.error({ err }, 'QoE overview query failed');
        throw new AppError('ERR_DEPENDENCY_UNAVAILABLE', 'the analytics store did not answer; try again');
      }
      reply.header('cache-control', 'private, no-store');
      return {
        videoId,
        from: new Date(range.fromMs).toISOString(),
        to: new Date(range.toMs).toISOString(),
        ...overview,
      };
    },
  );
}
