/**
 * Request schemas of the QoE routes (TypeBox: the schema is the type). The responses are the
 * contract in core (`@streamloop/core/schemas/qoe-api`), which dashboards read too.
 */
import { type Static, type TProperties, Type } from '@sinclair/typebox';
import { DIMENSION_NAMES, type Dimension } from './qoe-filters.js';
import type { SortMetric } from './qoe-queries.js';
import { INTERVALS_MS, type IntervalName } from './time-range.js';

/** Rows a breakdown, top-videos or sessions list returns at most. */
export const MAX_LIST_LIMIT = 1_000;

/** A string out of `values`, as a plain JSON-schema enum (ajv names the allowed values in its error). */
const StringEnum = <T extends string>(values: readonly T[], options: { default?: T } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

// Same rule as a beacon's ids (core/schemas/beacon.ts).
export const IdSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });
const FilterValue = Type.Optional(Type.String({ maxLength: 128 }));
const Instant = Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));

/** from, to and every filter; videoId keeps the id rule. */
export const filterProperties = {
  from: Instant,
  to: Instant,
  ...(Object.fromEntries(
    DIMENSION_NAMES.map((name) => [name, name === 'videoId' ? Type.Optional(IdSchema) : FilterValue]),
  ) as Record<Dimension, typeof FilterValue>),
};

/**
 * `?synthetic=real|synthetic|all`: a plain string here and checked by the route (parseSyntheticScope),
 * so that a wrong value gets a message naming the allowed ones (ajv's enum message does not).
 */
export const scopeProperties = { synthetic: Type.Optional(Type.String({ maxLength: 32 })) };

/** The querystring of a metrics route: the range, filters and scope, plus the route's own parameters. */
export const metricsQuery = <T extends TProperties>(extra: T = {} as T) =>
  Type.Object({ ...filterProperties, ...scopeProperties, ...extra });
const baseMetricsQuery = Type.Object({ ...filterProperties, ...scopeProperties });
export type MetricsQuery = Static<typeof baseMetricsQuery>;

export const Limit = (fallback: number) =>
  Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: fallback });
const SORT_METRICS: SortMetric[] = ['views', 'plays', 'viewers', 'watchTimeMs'];
export const SortBy = (fallback: SortMetric) => StringEnum(SORT_METRICS, { default: fallback });
export const DimensionParam = StringEnum(DIMENSION_NAMES);
/** The views list's order: worst per-view QoE score first (the dashboards' views page), or newest. */
export const ViewSort = StringEnum(['worst', 'newest'] as const, { default: 'newest' });
export const IntervalParam = StringEnum<IntervalName | 'auto'>(
  ['auto', ...(Object.keys(INTERVALS_MS) as IntervalName[])],
  { default: 'auto' },
);

export const SessionParams = Type.Object({ sessionId: IdSchema });
export const SessionBeaconsQuery = Type.Object(scopeProperties);

/** `GET /api/v1/qoe/live`: one video or the fleet, and the scope; no range (always the last minutes). */
export const LiveQuery = Type.Object({ videoId: Type.Optional(IdSchema), ...scopeProperties });
