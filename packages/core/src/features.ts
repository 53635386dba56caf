/**
 * Feature sets: what analytics' feature jobs compute from ClickHouse and publish to the feature store,
 * and what recommendations and ladder planning read. A set is published WHOLE under a new version and
 * made live by one pointer write (packages/feature-store `feature-sets.ts`), so a reader that resolves
 * the pointer once per request never sees half of one version and half of another. Each row is one
 * entity's features as JSON, validated against its schema here on the way in and on the way out.
 */
import { type Static, Type } from '@sinclair/typebox';
import { createValidator } from './validate.js';

/** The sets, by name: a key segment in the store, a path segment in the API. */
export const FeatureSetName = Type.Union([Type.Literal('title'), Type.Literal('viewer')]);
export type FeatureSetName = Static<typeof FeatureSetName>;
export const FEATURE_SET_NAMES = FeatureSetName.anyOf.map((literal) => literal.const) as FeatureSetName[];

/** The title set's row for the whole fleet: the fallback for a title without an audience yet. */
export const FLEET_ENTITY = '*';

/** How many titles the fleet row's `popular` list keeps: enough to fill any page after filtering. */
export const POPULAR_LIMIT = 200;

const Count = Type.Integer({ minimum: 0 });
const Share = Type.Number({ minimum: 0, maximum: 1 });
const Kbps = Type.Number({ minimum: 0 });

/** A throughput distribution, kbit/s, from the SDK's bandwidth estimates and CMCD `mtp`. */
export const ThroughputDistribution = Type.Object({
  samples: Count,
  p10: Kbps,
  p25: Kbps,
  p50: Kbps,
  p75: Kbps,
  p90: Kbps,
});
export type ThroughputDistribution = Static<typeof ThroughputDistribution>;

export const TitleFeatures = Type.Object({
  /** The video id, or FLEET_ENTITY for every title together. */
  videoId: Type.String({ minLength: 1, maxLength: 64 }),
  /** Views started in the last hour, day and week, and exponentially decayed views (half-life 24 h). */
  popularity: Type.Object({ h1: Count, h24: Count, d7: Count, decayed: Type.Number({ minimum: 0 }) }),
  /** Share of the week's views that reached 90 % of the title. */
  completionRate: Share,
  /**
   * Titles watched by the same viewers within the co-watch window, most similar first (cosine of
   * their viewer sets, |A ∩ B| / √(|A| · |B|)), at most 50. Empty for FLEET_ENTITY.
   */
  coWatch: Type.Array(Type.Object({ videoId: Type.String(), score: Share }), { maxItems: 50 }),
  /** The week's QoE: stall ms / watch ms, and failed starts / plays. */
  qoe: Type.Object({ views: Count, rebufferRatio: Share, startFailureRate: Share }),
  /** Share of the week's play time per rung (by height and bitrate). */
  rungShare: Type.Array(Type.Object({ height: Count, bitrateKbps: Kbps, share: Share })),
  /** The title's audience throughput (the ladder planner's input). */
  throughputKbps: ThroughputDistribution,
  /**
   * FLEET_ENTITY only: the most popular titles by `popularity.decayed` (the score), highest first,
   * ties by videoId — the cold-start candidates of recommendations, read with the one fleet row
   * instead of a scan of every title row. Absent on every other row.
   */
  popular: Type.Optional(
    Type.Array(Type.Object({ videoId: Type.String(), score: Type.Number({ minimum: 0 }) }), {
      maxItems: POPULAR_LIMIT,
    }),
  ),
});
export type TitleFeatures = Static<typeof TitleFeatures>;

export const ViewerFeatures = Type.Object({
  viewerId: Type.String({ minLength: 1, maxLength: 128 }),
  /** Titles watched, most recent first, at most 20. */
  recentVideoIds: Type.Array(Type.String(), { maxItems: 20 }),
  throughputKbps: ThroughputDistribution,
  /** The device class and the tallest display the viewer played on (the SDK's player height). */
  deviceClass: Type.String(),
  displayHeight: Count,
  /** The week's views, stalls and failed starts. */
  views7d: Count,
  rebuffers7d: Count,
  startFailures7d: Count,
});
export type ViewerFeatures = Static<typeof ViewerFeatures>;

export const FEATURE_ROW_SCHEMAS = { title: TitleFeatures, viewer: ViewerFeatures } as const;
export type FeatureRow<S extends FeatureSetName> = Static<(typeof FEATURE_ROW_SCHEMAS)[S]>;

export const validateTitleFeatures = createValidator(TitleFeatures);
export const validateViewerFeatures = createValidator(ViewerFeatures);

/** One published version of a set, as the store records it. */
export const FeatureSetVersion = Type.Object({
  set: FeatureSetName,
  version: Type.Integer({ minimum: 1 }),
  rows: Count,
  /** Bytes of the rows' JSON. */
  bytes: Count,
  /** sha256 of the rows in entity order (`entity \t json \n` each), hex. */
  checksum: Type.String(),
  publishedAt: Type.String({ format: 'date-time' }),
  /** The newest source event the version was computed from; null when it had none. */
  newestSourceAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type FeatureSetVersion = Static<typeof FeatureSetVersion>;

/** `GET /api/v1/features/status`: every set's live and previous version and how fresh it is. */
export const FeatureStatusResponse = Type.Object({
  sets: Type.Array(
    Type.Object({
      set: FeatureSetName,
      live: Type.Union([FeatureSetVersion, Type.Null()]),
      /** What `rollback` would make live. */
      previous: Type.Union([FeatureSetVersion, Type.Null()]),
      /** Seconds from the live version's newest source event to now; null without one. */
      freshnessSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    }),
  ),
});
export type FeatureStatusResponse = Static<typeof FeatureStatusResponse>;

/**
 * Measurements a viewer's throughput must rest on before it is trusted as a start-rung hint: six of
 * the SDK's 10 s intervals, a minute of watching.
 */
export const START_HINT_MIN_SAMPLES = 6;

/**
 * The start-rung hint (issue 14): the bitrate this viewer's network sustained most of the time — the
 * 25th percentile of their throughput measurements (the viewer set pools every measured interval of
 * their recent views), kbit/s, rounded down — or null with fewer than START_HINT_MIN_SAMPLES
 * measurements (then the player keeps its own default).
 * The playback API answers it and the simulator evaluates it with this one function, so the number
 * measured offline is the number served.
 */
export function startBitrateHintKbps(throughput: ThroughputDistribution): number | null {
  if (throughput.samples < START_HINT_MIN_SAMPLES || !(throughput.p25 > 0)) return null;
  return Math.floor(throughput.p25);
}
