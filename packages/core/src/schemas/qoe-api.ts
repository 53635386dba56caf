/**
 * Responses of analytics' QoE API (`/api/v1/qoe/*`), as dashboards and other clients read them.
 * Analytics serializes through these schemas (fastify drops any property they do not name), so a
 * metric added to the model without being named here never leaves the service.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { Beacon } from './beacon.js';
import type { BeaconContext } from './beacon-envelope.js';

const Count = (description?: string) => Type.Integer({ minimum: 0, ...(description ? { description } : {}) });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const NullableNumber = (description?: string) => Nullable(Type.Number(description ? { description } : {}));

/** The filters every QoE route takes and echoes; '' matches "unknown". */
export const QoeFilters = Type.Object({
  videoId: Type.Optional(Type.String()),
  variant: Type.Optional(Type.String()),
  ladderId: Type.Optional(Type.String()),
  browser: Type.Optional(Type.String()),
  os: Type.Optional(Type.String()),
  deviceClass: Type.Optional(Type.String()),
  country: Type.Optional(Type.String()),
  /** Simulated audiences (synthetic views; '' on real ones): the cohort and its network class. */
  cohort: Type.Optional(Type.String()),
  networkClass: Type.Optional(Type.String()),
});
export type QoeFilters = Static<typeof QoeFilters>;

/**
 * Which views a QoE number counts: `real` (the default: people only), `synthetic` (simulated
 * viewers only) or `all`. Every QoE route takes it as `?synthetic=` and echoes it.
 */
export const SyntheticScope = Type.Union([
  Type.Literal('real'),
  Type.Literal('synthetic'),
  Type.Literal('all'),
]);
export type SyntheticScope = Static<typeof SyntheticScope>;
export const SYNTHETIC_SCOPES: readonly SyntheticScope[] = ['real', 'synthetic', 'all'];
/** Real viewers only unless a reader asks: simulated views can never be mistaken for real ones. */
export const DEFAULT_SYNTHETIC_SCOPE: SyntheticScope = 'real';

export const QoeScoreComponents = Type.Object({
  startup: Type.Number(),
  smoothness: Type.Number(),
  reliability: Type.Number(),
  quality: Type.Number(),
});
export type QoeScoreComponents = Static<typeof QoeScoreComponents>;

/** Every metric of one slice of views (analytics/src/qoe-model.ts computes them). */
export const QoeMetrics = Type.Object({
  views: Count('views that started in the range (one viewId each), whether or not they asked to play'),
  plays: Count('views that asked to play (a playrequest or a firstframe)'),
  viewers: Count('distinct viewer ids among the plays'),
  watchTimeMs: Type.Number({ description: 'Σ watchTimeMs: playing, stalled and seeking (Mux "watch time")' }),
  playTimeMs: Type.Number({ description: 'Σ playTimeMs: frames advancing' }),
  pauseTimeMs: Type.Number(),
  startupTimeMs: Type.Object(
    { p50: NullableNumber(), p90: NullableNumber(), p95: NullableNumber() },
    { description: 'play request → first frame over views that started; exact, linear between ranks' },
  ),
  videoStartFailurePercent: NullableNumber('of the plays: a fatal error before the first frame'),
  exitBeforeVideoStartPercent: NullableNumber(
    'of the plays: ended before the first frame without a fatal error',
  ),
  playbackFailurePercent: NullableNumber('of the plays: a fatal error after the first frame'),
  errors: Count('error beacons, fatal or not'),
  rebufferCount: Count('stalls started (rebufferstart)'),
  rebufferTimeMs: Type.Number({ description: 'Σ rebufferDurationMs of rebufferend' }),
  rebufferPercent: NullableNumber('Mux: rebuffer time / watch time × 100'),
  rebufferFrequencyPerMinute: NullableNumber('Mux: stalls per minute of watch time'),
  rebufferRatio: NullableNumber('CTA-2066: stall / (stall + play), a fraction (0.02 = 2 %)'),
  rebufferPercentCta2066: NullableNumber('CTA-2066: the same ratio × 100'),
  rebufferFrequencyPerMinuteCta2066: NullableNumber('CTA-2066: stalls per minute of play + stall time'),
  seekCount: Count(),
  seekLatencyMsAvg: NullableNumber('mean seek start → playback resumed, over seekend beacons'),
  averageBitrateKbps: NullableNumber(
    'Σ(bitrateKbps × playTimeMs) / Σ playTimeMs over heartbeats with a bitrate',
  ),
  upscalePercent: NullableNumber('time shown larger than the rendition / play time × 100'),
  qoeScore: NullableNumber('0–100; null without plays'),
  qoeScoreComponents: Nullable(QoeScoreComponents),
});
export type QoeMetrics = Static<typeof QoeMetrics>;

/** Time and viewers on one rung of the ladder. */
export const QoeRendition = Type.Object({
  rendition: Type.String({ description: "'<height>p@<bitrate>kbps'" }),
  height: Count(),
  bitrateKbps: Count(),
  views: Count('views that played on this rung at all'),
  viewers: Count(),
  playTimeMs: Type.Number(),
  playTimePercent: Type.Number({ description: 'share of all play time on a known rung, × 100' }),
  // The QoE of the views on this rung (analytics migration 012; 0/null for minutes rolled up before it).
  upscaleTimeMs: Type.Number({ description: 'time the picture was shown larger than this rung, while it played' }),
  upscalePercent: NullableNumber('upscale time ÷ play time on this rung, × 100'),
  rebufferRatio: NullableNumber("CTA-2066 stall ÷ (stall + play) of the whole views that played on this rung"),
  playbackFailurePercent: NullableNumber('views on this rung that failed during playback, × 100'),
  startupTimeMsP50: NullableNumber('median startup of the views that played on this rung'),
  qoeScore: NullableNumber("the 0–100 QoE score of the views on this rung (analytics' qoe-score.ts)"),
});
export type QoeRendition = Static<typeof QoeRendition>;

/** One view as the sessions list shows it. */
export const QoeViewSummary = Type.Object({
  viewId: Type.String(),
  sessionId: Type.String(),
  viewerId: Type.String(),
  videoId: Type.String(),
  variant: Type.String(),
  ladderId: Type.String(),
  browser: Type.String(),
  os: Type.String(),
  deviceClass: Type.String(),
  country: Type.String(),
  /** A simulated viewer's view (its beacons said `synthetic: true`). */
  synthetic: Type.Boolean(),
  /** The simulated audience's cohort and network class; '' for a real viewer. */
  cohort: Type.String(),
  networkClass: Type.String(),
  startedAtMs: Type.Number(),
  lastBeaconAtMs: Type.Number(),
  startupTimeMs: NullableNumber(),
  watchTimeMs: Type.Number(),
  playTimeMs: Type.Number(),
  rebufferCount: Count(),
  rebufferTimeMs: Type.Number(),
  errors: Count(),
  videoStartFailure: Type.Boolean(),
  exitBeforeVideoStart: Type.Boolean(),
  playbackFailure: Type.Boolean(),
  /** The view's own 0–100 QoE score (qoe-score.ts, one view as one play); null without a play request. */
  qoeScore: NullableNumber(),
});
export type QoeViewSummary = Static<typeof QoeViewSummary>;

/**
 * A stored beacon: the beacon as sent, with only the fields it carries, plus the server's receive
 * time and context. Open-ended on the wire (every beacon field passes through unchanged).
 */
export const StoredBeacon = Type.Unsafe<Beacon & { receivedAtMs: number; context?: BeaconContext }>({
  type: 'object',
  additionalProperties: true,
});
export type StoredBeacon = Static<typeof StoredBeacon>;

/**
 * What every metric route echoes: the range used (whole minutes, ISO 8601 UTC, `to` exclusive), the
 * filters and which views were counted (`synthetic`).
 */
const Echo = {
  from: Type.String(),
  to: Type.String(),
  filters: QoeFilters,
  synthetic: SyntheticScope,
  /** Present when the request filtered on one video. */
  videoId: Type.Optional(Type.String()),
};

const withEcho = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object({ ...Echo, ...properties });

/**
 * The privacy floor (issue 15, QOE_PRIVACY_MIN_VIEWERS): rows of an answer backed by fewer than
 * `minViewers` distinct real viewers are left out of it and named in `suppressed`, so no answer
 * singles out one person. Simulated viewers are not people: `synthetic=synthetic` answers have
 * `minViewers` 1.
 */
export const PrivacyFloor = Type.Object({
  minViewers: Type.Integer({ minimum: 1 }),
  /** The suppressed rows' values (dimension values, rendition names); their numbers are withheld. */
  suppressed: Type.Array(Type.String()),
});
export type PrivacyFloor = Static<typeof PrivacyFloor>;

/** The views list's floor: the whole list is withheld when its views come from fewer viewers. */
export const ViewsPrivacyFloor = Type.Object({
  minViewers: Type.Integer({ minimum: 1 }),
  suppressed: Type.Boolean(),
});
export type ViewsPrivacyFloor = Static<typeof ViewsPrivacyFloor>;

export const QoeOverviewResponse = Type.Composite([
  withEcho({ renditions: Type.Array(QoeRendition), privacy: PrivacyFloor }),
  QoeMetrics,
]);
export type QoeOverviewResponse = Static<typeof QoeOverviewResponse>;

export const QoeTimeseriesPoint = Type.Composite([
  Type.Object({
    timeMs: Type.Integer({ description: 'bucket start, ms since the epoch' }),
    time: Type.String(),
  }),
  QoeMetrics,
]);
export type QoeTimeseriesPoint = Static<typeof QoeTimeseriesPoint>;

export const QoeTimeseriesResponse = withEcho({
  interval: Type.String(),
  intervalMs: Type.Integer(),
  points: Type.Array(QoeTimeseriesPoint),
});
export type QoeTimeseriesResponse = Static<typeof QoeTimeseriesResponse>;

export const QoeBreakdownRow = Type.Composite([
  Type.Object({ value: Type.String({ description: "the dimension's value; '' when unknown" }) }),
  QoeMetrics,
]);
export type QoeBreakdownRow = Static<typeof QoeBreakdownRow>;

export const QoeBreakdownResponse = withEcho({
  dimension: Type.String(),
  rows: Type.Array(QoeBreakdownRow),
  privacy: PrivacyFloor,
});
export type QoeBreakdownResponse = Static<typeof QoeBreakdownResponse>;

export const QoeTopVideo = Type.Composite([Type.Object({ videoId: Type.String() }), QoeMetrics]);
export type QoeTopVideo = Static<typeof QoeTopVideo>;

export const QoeTopVideosResponse = withEcho({ videos: Type.Array(QoeTopVideo), privacy: PrivacyFloor });
export type QoeTopVideosResponse = Static<typeof QoeTopVideosResponse>;

export const QoeRenditionsResponse = withEcho({
  renditions: Type.Array(QoeRendition),
  privacy: PrivacyFloor,
});
export type QoeRenditionsResponse = Static<typeof QoeRenditionsResponse>;

export const QoeSessionsResponse = withEcho({
  /** 'worst': lowest per-view QoE score first (views without a play request last); 'newest': by start. */
  sort: Type.Union([Type.Literal('worst'), Type.Literal('newest')]),
  truncated: Type.Boolean(),
  views: Type.Array(QoeViewSummary),
  privacy: ViewsPrivacyFloor,
});
export type QoeSessionsResponse = Static<typeof QoeSessionsResponse>;

export const SessionBeaconsResponse = Type.Object({
  sessionId: Type.String(),
  /** Which beacons were returned: a session's synthetic beacons only when asked for. */
  synthetic: SyntheticScope,
  beacons: Type.Array(StoredBeacon),
});
export type SessionBeaconsResponse = Static<typeof SessionBeaconsResponse>;

/** One minute of the live view: who was watching and who failed to start. */
export const QoeLiveMinute = Type.Object({
  time: Type.String({ description: 'the minute’s start, ISO 8601 UTC' }),
  concurrentViewers: Count('distinct viewers with a beacon in the minute other than viewend'),
  plays: Count('views that asked to play in the minute (playrequest)'),
  startFailures: Count('views with a fatal error in the minute and no first frame (yet)'),
});
export type QoeLiveMinute = Static<typeof QoeLiveMinute>;

/** `GET /api/v1/qoe/live`: the last minutes from the raw beacons, newest minute partial. */
export const QoeLiveResponse = Type.Object({
  asOf: Type.String({ description: 'the server clock the minutes end at, ISO 8601 UTC' }),
  videoId: Nullable(Type.String()),
  synthetic: SyntheticScope,
  /** Distinct viewers with a beacon (other than viewend) in the last 60 seconds. */
  concurrentViewers: Count(),
  /** Oldest first, every minute present (zero when nobody watched); the last one is the current minute. */
  minutes: Type.Array(QoeLiveMinute),
});
export type QoeLiveResponse = Static<typeof QoeLiveResponse>;
