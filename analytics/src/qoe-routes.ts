/**
 * The QoE API (`Authorization: Bearer <apiKey>` on every route). Every metric route takes `from`/`to`
 * (epoch ms or ISO 8601; default the last 24 h; rounded out to whole minutes) and the filters
 * videoId, variant, ladderId, browser, os, deviceClass, country ('' matches unknown).
 * - `GET /api/v1/qoe/overview` — every metric of qoe-model.ts, plus time and viewers per rendition.
 * - `GET /api/v1/qoe/timeseries?interval=auto|1m|5m|15m|1h|6h|1d` — the metrics per time bucket.
 * - `GET /api/v1/qoe/breakdown?dimension=browser&sortBy=plays&limit=` — the metrics per dimension value.
 * - `GET /api/v1/qoe/top-videos?sortBy=&limit=` — the breakdown by video, most played first.
 * - `GET /api/v1/qoe/renditions` — time and viewers per rung.
 * - `GET /api/v1/qoe/sessions?limit=` — the views that started in the range, newest first.
 * - `GET /api/v1/qoe/sessions/:sessionId/beacons` — every stored beacon of one session, SDK and CMCD.
 */
import { AppError } from '@streamloop/core/errors';
import { type ApiKeyAuth, createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AnalyticsTarget } from './beacons-table.js';
import { DIMENSION_NAMES, type Dimension, pickFilters, type QoeFilters } from './qoe-filters.js';
import {
  getBreakdown,
  getOverview,
  getRenditions,
  getTimeseries,
  type QoeQuery,
  type SortMetric,
} from './qoe-queries.js';
import {
  filterProperties,
  idSchema,
  intervalNames,
  metricsProperties,
  metricsRequired,
  rangeProperties,
  renditionSchema,
} from './qoe-route-schemas.js';
import { getSessionBeacons, type SessionBeacons, type StoredBeacon } from './session-queries.js';
import { alignToMinutes, chooseInterval, type IntervalName, parseTimeRange } from './time-range.js';
import { listViews } from './view-list-queries.js';

export interface QoeRoutesDeps {
  analyticsStore: AnalyticsTarget;
  /** Every QoE route needs `Authorization: Bearer <key>` with the 'analytics-read' scope (a bare string: the legacy key). */
  apiKey: string | ApiKeyAuth;
  /** The clock the default range ends at. */
  now?: () => number;
}

export type MetricsQuery = QoeFilters & { from?: string; to?: string };

export interface SessionBeaconsResponse {
  sessionId: string;
  beacons: StoredBeacon[];
}

/** A 2-hour view with 2 s segments is ~800 SDK and ~3 600 CMCD beacons; beyond this, SQL is the tool. */
export const MAX_SESSION_BEACONS = 10_000;
/** Rows a breakdown, top-videos or sessions list returns at most. */
export const MAX_LIST_LIMIT = 1_000;
const SORT_METRICS: SortMetric[] = ['views', 'plays', 'viewers', 'watchTimeMs'];

const metricsObject = { type: 'object', properties: metricsProperties, required: metricsRequired } as const;
const querystring = (extra: Record<string, unknown> = {}, required: string[] = []) => ({
  type: 'object',
  properties: { ...filterProperties, ...extra },
  required,
});
const limitSchema = (fallback: number) => ({
  type: 'integer',
  minimum: 1,
  maximum: MAX_LIST_LIMIT,
  default: fallback,
});
const sortBySchema = (fallback: SortMetric) => ({ type: 'string', enum: SORT_METRICS, default: fallback });
const ok = (properties: Record<string, unknown>) => ({
  200: { type: 'object', properties: { ...rangeProperties, ...properties } },
});

const sessionBeaconsSchema = {
  params: { type: 'object', properties: { sessionId: idSchema }, required: ['sessionId'] },
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
  const store = deps.analyticsStore;
  // onRequest, not preHandler: a caller without the key learns nothing, not even which parameters are wrong.
  const onRequest = createApiKeyGuard(deps.apiKey, 'analytics-read');

  /** The range and filters of a metrics route, or a 400 naming what is wrong. */
  const queryOf = (
    raw: MetricsQuery,
    extraKeys: string[] = [],
  ): QoeQuery & { echo: Record<string, unknown> } => {
    // A misspelt filter must not quietly widen the answer to everything.
    const unknown = Object.keys(raw).filter((key) => !(key in filterProperties) && !extraKeys.includes(key));
    if (unknown.length > 0) {
      throw new AppError(
        'ERR_VALIDATION',
        `unknown query parameter ${unknown.map((key) => JSON.stringify(key)).join(', ')}; filters are ${Object.keys(filterProperties).join(', ')}`,
      );
    }
    const parsed = parseTimeRange(raw, now());
    if (!parsed.ok) throw new AppError('ERR_VALIDATION', parsed.message);
    const range = alignToMinutes(parsed);
    const filters = pickFilters(raw);
    return {
      ...range,
      ...filters,
      echo: {
        from: new Date(range.fromMs).toISOString(),
        to: new Date(range.toMs).toISOString(),
        filters,
        ...(filters.videoId === undefined ? {} : { videoId: filters.videoId }),
      },
    };
  };

  app.get<{ Querystring: MetricsQuery }>(
    '/api/v1/qoe/overview',
    {
      onRequest,
      schema: {
        querystring: querystring(),
        response: ok({
          videoId: { type: 'string' },
          ...metricsProperties,
          renditions: { type: 'array', items: renditionSchema },
        }),
      },
    },
    async (request, reply) => {
      const query = queryOf(request.query);
      const [overview, renditions] = await fromStore(request.log, () =>
        Promise.all([getOverview(store, query), getRenditions(store, query)]),
      );
      reply.header('cache-control', 'private, no-store');
      return { ...query.echo, ...overview, renditions };
    },
  );

  app.get<{ Querystring: MetricsQuery & { interval: IntervalName | 'auto' } }>(
    '/api/v1/qoe/timeseries',
    {
      onRequest,
      schema: {
        querystring: querystring({ interval: { type: 'string', enum: intervalNames, default: 'auto' } }),
        response: ok({
          interval: { type: 'string' },
          intervalMs: { type: 'integer' },
          points: {
            type: 'array',
            items: {
              ...metricsObject,
              properties: { timeMs: { type: 'integer' }, time: { type: 'string' }, ...metricsProperties },
            },
          },
        }),
      },
    },
    async (request, reply) => {
      const query = queryOf(request.query, ['interval']);
      const interval = chooseInterval(request.query.interval, query);
      if (!interval.ok) throw new AppError('ERR_VALIDATION', interval.message);
      const points = await fromStore(request.log, () => getTimeseries(store, query, interval.intervalMs));
      reply.header('cache-control', 'private, no-store');
      return {
        ...query.echo,
        interval: interval.name,
        intervalMs: interval.intervalMs,
        points: points.map((point) => ({ ...point, time: new Date(point.timeMs).toISOString() })),
      };
    },
  );

  app.get<{ Querystring: MetricsQuery & { dimension: Dimension; sortBy: SortMetric; limit: number } }>(
    '/api/v1/qoe/breakdown',
    {
      onRequest,
      schema: {
        querystring: querystring(
          {
            dimension: { type: 'string', enum: DIMENSION_NAMES },
            sortBy: sortBySchema('views'),
            limit: limitSchema(100),
          },
          ['dimension'],
        ),
        response: ok({
          dimension: { type: 'string' },
          rows: {
            type: 'array',
            items: { ...metricsObject, properties: { value: { type: 'string' }, ...metricsProperties } },
          },
        }),
      },
    },
    async (request, reply) => {
      const query = queryOf(request.query, ['dimension', 'sortBy', 'limit']);
      const { dimension, sortBy, limit } = request.query;
      const rows = await fromStore(request.log, () =>
        getBreakdown(store, query, dimension, { sortBy, limit }),
      );
      reply.header('cache-control', 'private, no-store');
      return { ...query.echo, dimension, rows };
    },
  );

  app.get<{ Querystring: MetricsQuery & { sortBy: SortMetric; limit: number } }>(
    '/api/v1/qoe/top-videos',
    {
      onRequest,
      schema: {
        querystring: querystring({ sortBy: sortBySchema('plays'), limit: limitSchema(10) }),
        response: ok({
          videos: {
            type: 'array',
            items: { ...metricsObject, properties: { videoId: { type: 'string' }, ...metricsProperties } },
          },
        }),
      },
    },
    async (request, reply) => {
      const query = queryOf(request.query, ['sortBy', 'limit']);
      const { sortBy, limit } = request.query;
      const rows = await fromStore(request.log, () =>
        getBreakdown(store, query, 'videoId', { sortBy, limit }),
      );
      reply.header('cache-control', 'private, no-store');
      return { ...query.echo, videos: rows.map(({ value, ...metrics }) => ({ videoId: value, ...metrics })) };
    },
  );

  app.get<{ Querystring: MetricsQuery }>(
    '/api/v1/qoe/renditions',
    {
      onRequest,
      schema: {
        querystring: querystring(),
        response: ok({ renditions: { type: 'array', items: renditionSchema } }),
      },
    },
    async (request, reply) => {
      const query = queryOf(request.query);
      const renditions = await fromStore(request.log, () => getRenditions(store, query));
      reply.header('cache-control', 'private, no-store');
      return { ...query.echo, renditions };
    },
  );

  app.get<{ Querystring: MetricsQuery & { limit: number } }>(
    '/api/v1/qoe/sessions',
    {
      onRequest,
      schema: {
        querystring: querystring({ limit: limitSchema(100) }),
        response: ok({
          truncated: { type: 'boolean' },
          // ViewSummary objects (view-list-queries.ts).
          views: { type: 'array', items: { type: 'object', additionalProperties: true } },
        }),
      },
    },
    async (request, reply) => {
      const query = queryOf(request.query, ['limit']);
      const found = await fromStore(request.log, () => listViews(store, query, request.query.limit));
      reply.header('cache-control', 'private, no-store');
      return { ...query.echo, ...found };
    },
  );

  app.get<{ Params: { sessionId: string } }>(
    '/api/v1/qoe/sessions/:sessionId/beacons',
    { onRequest, schema: sessionBeaconsSchema },
    async (request, reply): Promise<SessionBeaconsResponse> => {
      const { sessionId } = request.params;
      const found: SessionBeacons = await fromStore(request.log, () =>
        getSessionBeacons(store, { sessionId, limit: MAX_SESSION_BEACONS }),
      );
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

/** A store failure is the dependency's, never a 500 with its internals. */
async function fromStore<T>(log: FastifyBaseLogger, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    log.error({ err }, 'QoE query failed');
    throw new AppError('ERR_DEPENDENCY_UNAVAILABLE', 'the analytics store did not answer; try again');
  }
}
