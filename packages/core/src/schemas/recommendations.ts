/**
 * `GET /api/v1/recommendations` (analytics): what to watch next, for a viewer and/or the video on
 * screen, read from the live feature sets and the catalog. Open to anyone, like a public video's
 * playback: it names only titles that are `ready` and `public`, so the player SDK and any page may
 * read it. The query is the route's schema, the response what the route serializes through.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Beacon, RecommendationReason } from './beacon.js';
import { SyntheticScope } from './qoe-api.js';
import { VideoId } from './video.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Titles one answer holds at most, and without `limit`. */
export const RECOMMENDATIONS_LIMIT = { minimum: 1, maximum: 50, default: 10 } as const;

export const RecommendationsQuery = Type.Object({
  /** The player SDK's viewer id, the one its beacons carry (so its rule is the beacon's). */
  viewerId: Type.Optional(Beacon.properties.viewerId),
  /** The video on screen: its co-watched titles come first, and it is never recommended itself. */
  videoId: Type.Optional(VideoId),
  limit: Type.Integer(RECOMMENDATIONS_LIMIT),
  /** false: rank by similarity and popularity alone, without the playback model (for comparing). */
  qoeAware: Type.Boolean({ default: true }),
});
export type RecommendationsQuery = Static<typeof RecommendationsQuery>;

/** Defined beside the beacon, whose impression and click events carry it; `because` names a co-watch seed. */
export { RecommendationReason };

/**
 * What the playback model expects for this viewer on this title's published ladder; all null when
 * it was not asked (`qoeAware=false`), each null that it cannot say.
 */
export const PredictedPlayback = Type.Object({
  /** Expected time to first frame, ms. */
  startupMs: Nullable(Type.Number({ minimum: 0 })),
  /** Expected rebuffer ratio (stall ms / watch ms, the QoE API's definition) over the first minutes. */
  stallRisk: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  /** The lowest rung's declared bandwidth, audio included (what the player's ABR compares), kbit/s. */
  lowestRungKbps: Nullable(Type.Number({ minimum: 0 })),
  /** Whether the lowest rung is within the viewer's 10th-percentile throughput. */
  fits: Nullable(Type.Boolean()),
});
export type PredictedPlayback = Static<typeof PredictedPlayback>;

export const RecommendedTitle = Type.Object({
  videoId: Type.String(),
  /** The catalog title, to show without a second request. */
  title: Type.String(),
  /**
   * Co-watch: the mean over the answer's seeds (the video on screen, then the viewer's recent titles)
   * of the title's co-watch (cosine) similarity to each, a seed whose co-watch list does not name it counting
   * 0 — so a title co-watched with several of them ranks higher; popular: decayed popularity, scaled
   * below every co-watch score of the answer.
   */
  score: Type.Number({ minimum: 0, maximum: 1 }),
  reason: RecommendationReason,
  /**
   * The seed a co-watch title is most similar to (the video on screen or a recent title; the earlier
   * on a tie); null for popular.
   */
  because: Nullable(Type.String()),
  predicted: PredictedPlayback,
});
export type RecommendedTitle = Static<typeof RecommendedTitle>;

export const RecommendationsResponse = Type.Object({
  viewerId: Nullable(Type.String()),
  videoId: Nullable(Type.String()),
  /**
   * The feature-set versions every row of this answer was read from; null for a set never published,
   * and for the viewer set when no viewerId was given (it is not read then).
   */
  featureVersions: Type.Object({
    title: Nullable(Type.Integer({ minimum: 1 })),
    viewer: Nullable(Type.Integer({ minimum: 1 })),
  }),
  /** Best first. */
  items: Type.Array(RecommendedTitle, { maxItems: RECOMMENDATIONS_LIMIT.maximum }),
});
export type RecommendationsResponse = Static<typeof RecommendationsResponse>;

/**
 * `GET /api/v1/recommendations/health?from=&to=&synthetic=` (analytics, scope 'analytics-read'): is
 * "Up next" working? How much of the catalog it shows, how often each reason is clicked, and whether
 * views begun from a recommendation play as well as the others. The range and the viewer scope are
 * the QoE API's (whole minutes, real viewers unless asked); every beacon counts once (by beacon id).
 */
const Count = Type.Integer({ minimum: 0 });

/** The QoE numbers of one group of views, as the QoE API defines them (analytics/src/qoe-model.ts). */
export const RecommendationPlaysQoe = Type.Object({
  /** Views that started in the range. */
  views: Count,
  /** Of those, views that asked to play (the denominator of the failure percentage). */
  plays: Count,
  /** Play request → first frame, ms; null without a started view. */
  startupTimeMs: Type.Object({ p50: Nullable(Type.Number()), p90: Nullable(Type.Number()) }),
  /** CTA-2066: stall / (stall + play), a fraction; null without play or stall time. */
  rebufferRatio: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
  /** Of the plays: a fatal error before the first frame, × 100; null without plays. */
  videoStartFailurePercent: Nullable(Type.Number({ minimum: 0, maximum: 100 })),
});
export type RecommendationPlaysQoe = Static<typeof RecommendationPlaysQoe>;

export const RecommendationClickThrough = Type.Object({
  reason: RecommendationReason,
  impressions: Count,
  clicks: Count,
  /** clicks / impressions; null without impressions (above 1 only if impressions were lost). */
  clickThroughRate: Nullable(Type.Number({ minimum: 0 })),
});
export type RecommendationClickThrough = Static<typeof RecommendationClickThrough>;

export const RecommendationHealthResponse = Type.Object({
  /** The range used: whole minutes, ISO 8601 UTC, `to` exclusive. */
  from: Type.String(),
  to: Type.String(),
  synthetic: SyntheticScope,
  coverage: Type.Object({
    /** Titles that may be recommended now: ready, public, with a ladder. */
    catalogTitles: Count,
    /** Of those, titles shown in at least one impression in the range. */
    recommendedTitles: Count,
    /** recommendedTitles / catalogTitles; null with an empty catalog. */
    coverage: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
    impressions: Count,
    /** Distinct viewers shown at least one recommendation. */
    viewersShown: Count,
  }),
  /** One row per reason, in RecommendationReason's order, zeros included. */
  clickThrough: Type.Array(RecommendationClickThrough),
  /** Views whose viewstart says they began from a click on a recommendation, and every other view. */
  qoe: Type.Object({ recommended: RecommendationPlaysQoe, other: RecommendationPlaysQoe }),
});
export type RecommendationHealthResponse = Static<typeof RecommendationHealthResponse>;
