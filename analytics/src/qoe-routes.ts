/**
 * The QoE API (`Authorization: Bearer <apiKey>` on every route). Every metric route takes `from`/`to`
 * (epoch ms or ISO 8601; default the last 24 h; rounded out to whole minutes), the filters
 * videoId, variant, ladderId, browser, os, deviceClass, country, cohort, networkClass ('' matches
 * unknown) and `synthetic=real|synthetic|all`: real viewers only unless asked (simulated viewers,
 * issue 11, are never counted with real ones by accident); every answer echoes the scope it used.
 * - `GET /api/v1/qoe/overview` — every metric of qoe-model.ts, plus time and viewers per rendition.
 * - `GET /api/v1/qoe/timeseries?interval=auto|1m|5m|15m|1h|6h|1d` — the metrics per time bucket.
 * - `GET /api/v1/qoe/breakdown?dimension=browser&sortBy=plays&limit=` — the metrics per dimension value.
 * - `GET /api/v1/qoe/top-videos?sortBy=&limit=` — the breakdown by video, most played first.
 * - `GET /api/v1/qoe/renditions` — time and viewers per rung.
 * - `GET /api/v1/qoe/sessions?limit=&sort=worst|newest` — the views that started in the range, worst
 *   per-view QoE score first (or newest first).
 * - `GET /api/v1/qoe/sessions/:sessionId/beacons` — every stored beacon of one session, SDK and CMCD
 *   (`synthetic=` too: a simulated session's beacons only when asked).
 * The two sessions routes show one viewer's data: they need the 'analytics-views' scope, the others
 * 'analytics-read'. Breakdown rows, rungs and views lists under the privacy floor are withheld
 * (privacy-floor.ts).
 * - `GET /api/v1/qoe/live?videoId=&synthetic=` — concurrent viewers, plays and start failures per
 *   minute over the last 30 minutes, from the raw beacons (live-queries.ts); no range parameters.
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { AppError } from '@streamloop/core/errors';
import {
  QoeBreakdownResponse,
  QoeLiveResponse,
  QoeOverviewResponse,
  QoeRenditionsResponse,
  QoeSessionsResponse,
  QoeTimeseriesResponse,
  QoeTopVideosResponse,
  SessionBeaconsResponse,
  SYNTHETIC_SCOPES,
  type SyntheticScope,
} from '@streamloop/core/schemas/qoe-api';
import { type ApiKeyOption, createApiKeyGuard } from '@streamloop/service-kit/api-key';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AnalyticsTarget } from './beacons-table.js';
import { fromDependency } from './from-dependency.js';
import { getLive } from './live-queries.js';
import { applyPrivacyFloor, DEFAULT_PRIVACY_MIN_VIEWERS, minViewersFor } from './privacy-floor.js';
import { parseSyntheticScope, pickFilters } from './qoe-filters.js';
import { getBreakdown, getOverview, getRenditions, getTimeseries, type QoeQuery } from './qoe-queries.js';
import {
  DimensionParam,
  filterProperties,
  IntervalParam,
  Limit,
  LiveQuery,
  type MetricsQuery,
  metricsQuery,
  SessionBeaconsQuery,
  SessionParams,
  SortBy,
  ViewSort,
} from './qoe-route-schemas.js';
import { getSessionBeacons } from './session-queries.js';
import { alignToMinutes, chooseInterval, parseTimeRange } from './time-range.js';
import { listViews } from './view-list-queries.js';

export interface QoeRoutesDeps {
  analyticsStore: AnalyticsTarget;
  /** Every QoE route needs `Authorization: Bearer <key>` with the 'analytics-read' scope (a bare string: the legacy key). */
  apiKey: ApiKeyOption;
  /** The clock the default range ends at. */
  now?: () => number;
  /** QOE_PRIVACY_MIN_VIEWERS: the k of the privacy floor (privacy-floor.ts); default 5. */
  privacyMinViewers?: number;
}

/** A 2-hour view with 2 s segments is ~800 SDK and ~3 600 CMCD beacons; beyond this, SQL is the tool. */
export const MAX_SESSION_BEACONS = 10_000;

/** The route's response schema, and its 200 body as the handler's return type. */
const ok = <T extends TSchema>(schema: T) => ({ 200: schema });
type Reply<T extends TSchema> = { Reply: Static<T> };

export function registerQoeRoutes(app: FastifyInstance, deps: QoeRoutesDeps): void {
  const now = deps.now ?? Date.now;
  const store = deps.analyticsStore;
  // onRequest, not preHandler: a caller without the key learns nothing, not even which parameters are wrong.
  const onRequest = createApiKeyGuard(deps.apiKey, 'analytics-read');
  const onViewsRequest = createApiKeyGuard(deps.apiKey, 'analytics-views');
  const k = deps.privacyMinViewers ?? DEFAULT_PRIVACY_MIN_VIEWERS;
  const renditionsFloor = (renditions: Awaited<ReturnType<typeof getRenditions>>, query: QoeQuery) => {
    const floored = applyPrivacyFloor(renditions, minViewersFor(k, query.synthetic), (r) => r.rendition);
    return { renditions: floored.rows, privacy: floored.privacy };
  };

  /** The range and filters of a metrics route, or a 400 naming what is wrong. */
  const queryOf = (
    raw: MetricsQuery,
    schema: TObject,
  ): QoeQuery & {
    echo: Pick<Static<typeof QoeOverviewResponse>, 'from' | 'to' | 'filters' | 'synthetic' | 'videoId'>;
  } => {
    // A misspelt filter must not quietly widen the answer to everything.
    const unknown = Object.keys(raw).filter((key) => !(key in schema.properties));
    if (unknown.length > 0) {
      throw new AppError(
        'ERR_VALIDATION',
        `unknown query parameter ${unknown.map((key) => JSON.stringify(key)).join(', ')}; filters are ${Object.keys(filterProperties).join(', ')}; synthetic=${SYNTHETIC_SCOPES.join('|')} picks the views`,
      );
    }
    const scope = scopeOrThrow(raw.synthetic);
    const parsed = parseTimeRange(raw, now());
    if (!parsed.ok) throw new AppError('ERR_VALIDATION', parsed.message);
    const range = alignToMinutes(parsed);
    const filters = pickFilters(raw);
    return {
      ...range,
      ...filters,
      synthetic: scope,
      echo: {
        from: new Date(range.fromMs).toISOString(),
        to: new Date(range.toMs).toISOString(),
        filters,
        synthetic: scope,
        ...(filters.videoId === undefined ? {} : { videoId: filters.videoId }),
      },
    };
  };

  const overviewQuery = metricsQuery();
  app.get<{ Querystring: Static<typeof overviewQuery> } & Reply<typeof QoeOverviewResponse>>(
    '/api/v1/qoe/overview',
    { onRequest, schema: { querystring: overviewQuery, response: ok(QoeOverviewResponse) } },
    async (request, reply) => {
      const query = queryOf(request.query, overviewQuery);
      const [overview, renditions] = await fromStore(request.log, () =>
        Promise.all([getOverview(store, query), getRenditions(store, query)]),
      );
      reply.header('cache-control', 'private, no-store');
      return { ...query.echo, ...overview, ...renditionsFloor(renditions, query) };
    },
  );

  const timeseriesQuery = metricsQuery({ interval: IntervalParam });
  app.get<{ Querystring: Static<typeof timeseriesQuery> } & Reply<typeof QoeTimeseriesResponse>>(
    '/api/v1/qoe/timeseries',
    { onRequest, schema: { querystring: timeseriesQuery, response: ok(QoeTimeseriesResponse) } },
    async (request, reply) => {
      const query = queryOf(request.query, timeseriesQuery);
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

  const breakdownQuery = metricsQuery({
    dimension: DimensionParam,
    sortBy: SortBy('views'),
    limit: Limit(100),
  });
  app.get<{ Querystring: Static<typeof breakdownQuery> } & Reply<typeof QoeBreakdownResponse>>(
    '/api/v1/qoe/breakdown',
    { onRequest, schema: { querystring: breakdownQuery, response: ok(QoeBreakdownResponse) } },
    async (request, reply) => {
      const query = queryOf(request.query, breakdownQuery);
      const { dimension, sortBy, limit } = request.query;
      const rows = await fromStore(request.log, () =>
        getBreakdown(store, query, dimension, { sortBy, limit }),
      );
      const floored = applyPrivacyFloor(rows, minViewersFor(k, query.synthetic), (row) => row.value);
      reply.header('cache-control', 'private, no-store');
      return { ...query.echo, dimension, rows: floored.rows, privacy: floored.privacy };
    },
  );

  const topVideosQuery = metricsQuery({ sortBy: SortBy('plays'), limit: Limit(10) });
  app.get<{ Querystring: Static<typeof topVideosQuery> } & Reply<typeof QoeTopVideosResponse>>(
    '/api/v1/qoe/top-videos',
    { onRequest, schema: { querystring: topVideosQuery, response: ok(QoeTopVideosResponse) } },
    async (request, reply) => {
      const query = queryOf(request.query, topVideosQuery);
      const { sortBy, limit } = request.query;
      const rows = await fromStore(request.log, () =>
        getBreakdown(store, query, 'videoId', { sortBy, limit }),
      );
      const floored = applyPrivacyFloor(rows, minViewersFor(k, query.synthetic), (row) => row.value);
      reply.header('cache-control', 'private, no-store');
      return {
        ...query.echo,
        videos: floored.rows.map(({ value, ...metrics }) => ({ videoId: value, ...metrics })),
        privacy: floored.privacy,
      };
    },
  );

  app.get<{ Querystring: Static<typeof overviewQuery> } & Reply<typeof QoeRenditionsResponse>>(
    '/api/v1/qoe/renditions',
    { onRequest, schema: { querystring: overviewQuery, response: ok(QoeRenditionsResponse) } },
    async (request, reply) => {
      const query = queryOf(request.query, overviewQuery);
      const renditions = await fromStore(request.log, () => getRenditions(store, query));
      reply.header('cache-control', 'private, no-store');
      return { ...query.echo, ...renditionsFloor(renditions, query) };
    },
  );

  const sessionsQuery = metricsQuery({ limit: Limit(100), sort: ViewSort });
  app.get<{ Querystring: Static<typeof sessionsQuery> } & Reply<typeof QoeSessionsResponse>>(
    '/api/v1/qoe/sessions',
    {
      onRequest: onViewsRequest,
      schema: { querystring: sessionsQuery, response: ok(QoeSessionsResponse) },
    },
    async (request, reply) => {
      const query = queryOf(request.query, sessionsQuery);
      const { limit, sort } = request.query;
      const found = await fromStore(request.log, () => listViews(store, query, { limit, order: sort }));
      const minViewers = minViewersFor(k, query.synthetic);
      const suppressed = minViewers > 1 && found.views.length > 0 && found.viewers < minViewers;
      reply.header('cache-control', 'private, no-store');
      return {
        ...query.echo,
        sort,
        truncated: suppressed ? false : found.truncated,
        views: suppressed ? [] : found.views,
        privacy: { minViewers, suppressed },
      };
    },
  );

  app.get<{ Querystring: Static<typeof LiveQuery> } & Reply<typeof QoeLiveResponse>>(
    '/api/v1/qoe/live',
    { onRequest, schema: { querystring: LiveQuery, response: ok(QoeLiveResponse) } },
    async (request, reply) => {
      const { videoId } = request.query;
      const synthetic = scopeOrThrow(request.query.synthetic);
      reply.header('cache-control', 'private, no-store');
      return fromStore(request.log, () =>
        getLive(store, { nowMs: now(), synthetic, ...(videoId === undefined ? {} : { videoId }) }),
      );
    },
  );

  app.get<
    { Params: Static<typeof SessionParams>; Querystring: Static<typeof SessionBeaconsQuery> } & Reply<
      typeof SessionBeaconsResponse
    >
  >(
    '/api/v1/qoe/sessions/:sessionId/beacons',
    {
      onRequest: onViewsRequest,
      schema: {
        params: SessionParams,
        querystring: SessionBeaconsQuery,
        response: ok(SessionBeaconsResponse),
      },
    },
    async (request, reply) => {
      const { sessionId } = request.params;
      const synthetic = scopeOrThrow(request.query.synthetic);
      const found = await fromStore(request.log, () =>
        getSessionBeacons(store, { sessionId, limit: MAX_SESSION_BEACONS, synthetic }),
      );
      if (found.truncated) {
        throw new AppError(
          'ERR_PAYLOAD_TOO_LARGE',
          `session ${sessionId} has more than ${MAX_SESSION_BEACONS} stored beacons, more than this route returns; query beacons_v1 with SQL instead`,
          { limit: MAX_SESSION_BEACONS },
        );
      }
      if (found.beacons.length === 0 && found.outsideScope > 0) {
        throw new AppError(
          'ERR_NOT_FOUND',
          `session ${sessionId} has no ${synthetic} beacons (${found.outsideScope} stored outside that scope); ask with synthetic=all`,
        );
      }
      // Beacons arrive through a queue: "none yet" and "never" look the same, both 404.
      if (found.beacons.length === 0) {
        throw new AppError('ERR_NOT_FOUND', `no beacons stored for session ${sessionId}`);
      }
      reply.header('cache-control', 'private, no-store');
      return { sessionId, synthetic, beacons: found.beacons };
    },
  );
}

/** The scope of `?synthetic=`, or a 400 naming the values it takes. */
function scopeOrThrow(raw: string | undefined): SyntheticScope {
  const parsed = parseSyntheticScope(raw);
  if (!parsed.ok) throw new AppError('ERR_VALIDATION', parsed.message);
  return parsed.scope;
}

/** A store failure is the dependency's, never a 500 with its internals (from-dependency.ts). */
export const fromStore = <T>(log: FastifyBaseLogger, run: () => Promise<T>): Promise<T> =>
  fromDependency(log, 'analytics store', run);
