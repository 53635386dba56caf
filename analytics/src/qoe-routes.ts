/**
 * The QoE API.
 * - `GET /api/v1/qoe/overview?videoId=&from=&to=` — plays, viewers, startup time, rebuffering, watch
 *   time and errors of one video over a time range (default: the last 24 hours).
 * - `GET /api/v1/qoe/sessions/:sessionId/beacons` — every stored beacon of one session, SDK and CMCD.
 */
import { AppError } from '@streamloop/core/errors';
import { type ApiKeyAuth, createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import type { AnalyticsTarget } from './beacons-table.js';
import { getOverview, type Overview } from './qoe-queries.js';
import { getSessionBeacons, type SessionBeacons, type StoredBeacon } from './session-queries.js';
import { parseTimeRange } from './time-range.js';

export interface QoeRoutesDeps {
  analyticsStore: AnalyticsTarget;
  /** Every QoE route needs `Authorization: Bearer <key>` with the 'analytics-read' scope (a bare string: the legacy key). */
  apiKey: string | ApiKeyAuth;
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

export interface SessionBeaconsResponse {
  sessionId: string;
  beacons: StoredBeacon[];
}

/** A 2-hour view with 2 s segments is ~800 SDK and ~3 600 CMCD beacons; beyond this, SQL is the tool. */
export const MAX_SESSION_BEACONS = 10_000;

const nullableNumber = { type: ['number', 'null'] } as const;
// Same rule as a beacon's ids (core/schemas/beacon.ts).
const idSchema = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' } as const;
const count = { type: 'integer', minimum: 0 } as const;

const overviewSchema = {
  querystring: {
    type: 'object',
    properties: {
      videoId: idSchema,
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

const sessionBeaconsSchema = {
  params: {
    type: 'object',
    properties: { sessionId: idSchema },
    required: ['sessionId'],
  },
  response: {
    200: {
      type: 'object',
      properties: {
        sessionId: { type: 'string' },
        // Beacon-shaped objects with only the fields they carry (core/schemas/beacon.ts) + receivedAtMs.
        beacons: { type: 'array', items: { type: 'object', additionalProperties: true } },
      },
      required: ['sessionId', 'beacons'],
    },
  },
} as const;

export function registerQoeRoutes(app: FastifyInstance, deps: QoeRoutesDeps): void {
  const now = deps.now ?? Date.now;
  // onRequest, not preHandler: a caller without the key learns nothing, not even which parameters are wrong.
  const onRequest = createApiKeyGuard(deps.apiKey, 'analytics-read');

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

  app.get<{ Params: { sessionId: string } }>(
    '/api/v1/qoe/sessions/:sessionId/beacons',
    { onRequest, schema: sessionBeaconsSchema },
    async (request, reply): Promise<SessionBeaconsResponse> => {
      const { sessionId } = request.params;
      let found: SessionBeacons;
      try {
        found = await getSessionBeacons(deps.analyticsStore, { sessionId, limit: MAX_SESSION_BEACONS });
      } catch (err) {
        request.log.error({ err }, 'session beacons query failed');
        throw new AppError('ERR_DEPENDENCY_UNAVAILABLE', 'the analytics store did not answer; try again');
      }
      if (found.truncated) {
        throw new AppError(
          'ERR_PAYLOAD_TOO_LARGE',
          `session ${sessionId} has more than ${MAX_SESSION_BEACONS} stored beacons, more than this route returns; query beacons_v1 with SQL instead`,
          { limit: MAX_SESSION_BEACONS },
        );
      }
      // Beacons arrive through a queue: "none yet" and "never" look the same, both 404.
      if (found.beacons.length === 0) {
        throw new AppError('ERR_NOT_FOUND', `no beacons stored for session ${sessionId}`);
      }
      reply.header('cache-control', 'private, no-store');
      return { sessionId, beacons: found.beacons };
    },
  );
}
