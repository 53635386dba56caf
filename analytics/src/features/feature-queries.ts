/**
 * The feature sets (core's `features.ts`) computed in ClickHouse: one named query per set,
 * `queryTitleFeatures` and `queryViewerFeatures`, each answering rows in the contract's shape and the
 * newest source event it read. Every aggregate (counts, decayed popularity and the fleet's most
 * popular titles, completion, cosine co-watch, QoE sums and ratios, rung shares, throughput quantiles,
 * recent titles) is computed by the engine; TypeScript only joins the answers by entity and renames
 * columns.
 *
 * Which views: those of views_v1 that STARTED in the window (qoe-sources' `freshViewRows`, the QoE
 * model's one definition of a view and of its numbers), real viewers only unless the scope says
 * otherwise. A view keeps its later beacons, as everywhere in the QoE model (a view is the unit).
 * QoE and rung shares come from the QoE API's own partials (`minutePartials`, `renditionPartials`:
 * rollups up to the watermark, views_v1 after it) summed by TOTALS_SELECT, so a title's rebuffer
 * ratio is the number the QoE API shows for it. What views_v1 does not keep (completion, throughput,
 * player height) is read from the view's beacons in beacons_v1, deduplicated per beacon.
 *
 * The window ends at `nowMs` rounded up to a whole minute and starts `windowMs` before it rounded
 * down (time-range's `alignToMinutes`): the rollups hold whole minutes. The title set's five reads
 * (views, QoE, rungs, co-watch, popular) are in flight together, each consistent on its own: a beacon
 * stored between them can count in one and not yet in another, until the next run.
 */
import { compareCodePoints } from '@streamloop/core/code-point-order';
import {
  type FeatureRow,
  type FeatureSetName,
  FLEET_ENTITY,
  POPULAR_LIMIT,
  type ThroughputDistribution,
  TitleFeatures,
  ViewerFeatures,
} from '@streamloop/core/features';
import { DEFAULT_SYNTHETIC_SCOPE, type SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import { type AnalyticsTarget, BEACONS_TABLE } from '../beacons-table.js';
import { jsonRows } from '../json-rows.js';
import {
  freshViewRows,
  minutePartials,
  readWatermarkMs,
  renditionPartials,
  VIEW_DAYS_BEFORE_RANGE,
} from '../qoe-sources.js';
import { TOTALS_SELECT } from '../qoe-view-sql.js';
import { alignToMinutes } from '../time-range.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The week every "of the week" feature covers. */
export const DEFAULT_FEATURE_WINDOW_MS = 7 * DAY_MS;
export const DEFAULT_CO_WATCH_WINDOW_MS = 7 * DAY_MS;
/** Decayed popularity: a view counts 1 now, ½ a day later, ¼ two days later. */
export const POPULARITY_HALF_LIFE_MS = 24 * HOUR_MS;
/** A view "completed" the title once its furthest playhead reached this share of the media (percent). */
export const COMPLETED_PERCENT = 90;
/** The contract's limits, read from it so they cannot drift. */
const CO_WATCH_LIMIT = TitleFeatures.properties.coWatch.maxItems ?? 50;
const RECENT_TITLES_LIMIT = ViewerFeatures.properties.recentVideoIds.maxItems ?? 20;
/**
 * A video id longer than the title row allows cannot be a catalog video (core's ids: ≤ 64) — only a
 * forged beacon has one. Its views are left out of both sets rather than failing the whole version.
 */
const MAX_VIDEO_ID_LENGTH = TitleFeatures.properties.videoId.maxLength ?? 64;

export interface FeatureQueryOptions {
  /** The instant the features are computed as of (ms since the epoch). */
  nowMs: number;
  /**
   * The "week" of the week's features (completion, QoE, rung share, throughput, the viewer's counts);
   * default DEFAULT_FEATURE_WINDOW_MS. Popularity's h1/h24/d7 count only views inside it.
   */
  windowMs?: number;
  /** Default DEFAULT_CO_WATCH_WINDOW_MS. */
  coWatchWindowMs?: number;
  /** Real viewers only by default; the offline evaluation asks for 'synthetic' (simulated audiences). */
  scope?: SyntheticScope;
}

export interface FeatureRows<S extends FeatureSetName> {
  /** In entity order (code point order of videoId / viewerId; FLEET_ENTITY '*' first). */
  rows: FeatureRow<S>[];
  /** The newest beacon of the views read (ISO), null when there was none. */
  newestSourceAt: string | null;
}

/** The set by name, for the job that publishes either. */
export function queryFeatureSet<S extends FeatureSetName>(
  target: AnalyticsTarget,
  set: S,
  options: FeatureQueryOptions,
): Promise<FeatureRows<S>> {
  const query = set === 'title' ? queryTitleFeatures : queryViewerFeatures;
  return query(target, options) as Promise<FeatureRows<S>>;
}

// ----------------------------------------------------------------------------------------------
// Views of the window with what beacons_v1 adds to them
// ----------------------------------------------------------------------------------------------

interface Window {
  fromMs: number;
  toMs: number;
}

/** The scope and the main window of a query, defaults applied. */
function scopeAndWindow(options: FeatureQueryOptions): { scope: SyntheticScope; window: Window } {
  return {
    scope: options.scope ?? DEFAULT_SYNTHETIC_SCOPE,
    window: windowOf(options.nowMs, options.windowMs ?? DEFAULT_FEATURE_WINDOW_MS, 'windowMs'),
  };
}

function windowOf(nowMs: number, windowMs: number, what: string): Window {
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be ms since the epoch, got ${nowMs}`);
  if (!Number.isFinite(windowMs) || windowMs < MINUTE_MS) {
    throw new RangeError(`${what} must be at least one minute (${MINUTE_MS} ms), got ${windowMs}`);
  }
  return alignToMinutes({ fromMs: nowMs - windowMs, toMs: nowMs });
}

/**
 * Per SDK view, from its beacons: the furthest completion, the tallest player and the SDK's
 * throughput measurements. Each beacon counts once however often it was stored (the set is keyed by
 * the beacon's hash, as views_v1's is).
 */
function sdkViewFactsSql(database: string): string {
  return `
    SELECT
      video_id, view_id,
      max(completion_percent) AS furthest_completion_percent,
      max(player_height) AS tallest_player_height,
      arrayMap(s -> s.2, groupUniqArrayIf((cityHash64(beacon_id), assumeNotNull(throughput_kbps)),
        throughput_kbps IS NOT NULL)) AS sdk_throughput_kbps
    FROM ${database}.${BEACONS_TABLE}
    WHERE source = 'sdk'
      AND received_at >= fromUnixTimestamp64Milli({p_beaconsFromMs:Int64}, 'UTC')
      AND (completion_percent IS NOT NULL OR player_height IS NOT NULL OR throughput_kbps IS NOT NULL)
    GROUP BY video_id, view_id`;
}

/**
 * The origin's CMCD `mtp` (the player's bandwidth estimate) per session and title. CMCD names the
 * SDK's session (`sid`), not a view, so a session's samples belong to each of its views of that title.
 */
function cmcdSessionSamplesSql(database: string): string {
  return `
    SELECT
      session_id, video_id,
      arrayMap(s -> s.2, groupUniqArray((cityHash64(beacon_id), assumeNotNull(cmcd_mtp_kbps)))) AS cmcd_throughput_kbps
    FROM ${database}.${BEACONS_TABLE}
    WHERE source = 'cmcd' AND cmcd_mtp_kbps IS NOT NULL
      AND received_at >= fromUnixTimestamp64Milli({p_beaconsFromMs:Int64}, 'UTC')
    GROUP BY session_id, video_id`;
}

/** The QoE model's view rows (`freshViewRows`) of the views that started in [v_fromMs, v_toMs) in the scope. */
function windowViewsSql(database: string, scope: SyntheticScope): string {
  return freshViewRows(
    database,
    {},
    scope,
    "AND length(video_id) <= {p_maxVideoIdLength:UInt32} AND viewer_id != ''",
  );
}

/**
 * One row per view that started in [v_fromMs, v_toMs) in the scope: the QoE model's view row
 * (`freshViewRows`) with its completion, player height and throughput measurements — the SDK's own,
 * or, for a view whose beacons carried none, the CMCD `mtp` of its session and title. A player
 * without the SDK has no view (and no viewer id), so it adds no sample.
 */
function featureViewsSql(database: string, scope: SyntheticScope): string {
  return `
    SELECT
      v.video_id AS video_id,
      v.viewer_id AS viewer_id,
      v.device_class AS device_class,
      toUnixTimestamp64Milli(v.started_at) AS started_ms,
      v.last_beacon_at AS last_beacon_at,
      v.rebuffer_count AS rebuffer_count,
      v.start_failure AS start_failure,
      f.furthest_completion_percent AS completion_percent,
      f.tallest_player_height AS player_height,
      if(notEmpty(f.sdk_throughput_kbps), f.sdk_throughput_kbps, c.cmcd_throughput_kbps) AS throughput_samples
    FROM (${windowViewsSql(database, scope)}) AS v
    LEFT JOIN (${sdkViewFactsSql(database)}) AS f ON f.video_id = v.video_id AND f.view_id = v.view_id
    LEFT JOIN (${cmcdSessionSamplesSql(database)}) AS c ON c.session_id = v.session_id AND c.video_id = v.video_id`;
}

const windowViewsParams = (window: Window): Record<string, number> => ({
  v_fromMs: window.fromMs,
  v_toMs: window.toMs,
  p_maxVideoIdLength: MAX_VIDEO_ID_LENGTH,
});

const featureViewsParams = (window: Window): Record<string, number> => ({
  ...windowViewsParams(window),
  // A view's beacons are read from as far back as freshViewRows reads its rows.
  p_beaconsFromMs: Math.max(window.fromMs - VIEW_DAYS_BEFORE_RANGE * DAY_MS, 0),
});

/** The quantiles of ThroughputDistribution, in its order. */
const THROUGHPUT_LEVELS = '0.1, 0.25, 0.5, 0.75, 0.9';

/** The engine's [p10, p25, p50, p75, p90] (NULL each without samples) as the contract's distribution. */
function toDistribution(samples: number, quantiles: (number | null)[]): ThroughputDistribution {
  const at = (i: number): number => (samples > 0 ? (quantiles[i] ?? 0) : 0);
  return { samples, p10: at(0), p25: at(1), p50: at(2), p75: at(3), p90: at(4) };
}

const newestOf = (values: (number | null)[]): string | null => {
  const newest = values.reduce<number | null>(
    (max, value) => (value !== null && (max === null || value > max) ? value : max),
    null,
  );
  return newest === null ? null : new Date(newest).toISOString();
};

// ----------------------------------------------------------------------------------------------
// Title set
// ----------------------------------------------------------------------------------------------

/**
 * Decayed popularity of a group of views: Σ exp(−ln 2 · age / half-life), age from nowMs; a view
 * after it (the window runs to the next whole minute) weighs 1, never more. One definition for the
 * title rows and the fleet's `popular` list, so the two agree.
 */
const decayedSumSql = (startedMs: string): string =>
  `sum(pow(0.5, greatest({p_nowMs:Int64} - ${startedMs}, 0) / {p_halfLifeMs:Float64}))`;

const decayParams = (nowMs: number) => ({ p_nowMs: nowMs, p_halfLifeMs: POPULARITY_HALF_LIFE_MS });

/**
 * Per title and for the fleet (GROUPING SETS: one pass, the same views): popularity, completion,
 * the audience's throughput and the newest beacon read.
 *
 * Throughput is ONE sample per view — the median of the view's measurements — and the quantiles are
 * exact over those views: the ladder planner asks what share of views can sustain a rung, so each
 * view counts once. Beacon-level samples would weight long views over short ones, and the origin's
 * CMCD (a beacon per segment request) over the SDK's 10 s heartbeats. `quantilesExactInclusive`
 * interpolates linearly between ranks, as the QoE API's startup quantiles do.
 */
function titleViewsSql(database: string, scope: SyntheticScope): string {
  return `
    SELECT
      if(grouping(video_id) = 1, {p_fleet:String}, video_id) AS entity,
      countIf(started_ms >= {p_h1FromMs:Int64}) AS h1,
      countIf(started_ms >= {p_h24FromMs:Int64}) AS h24,
      countIf(started_ms >= {p_d7FromMs:Int64}) AS d7,
      ${decayedSumSql('started_ms')} AS decayed,
      countIf(ifNull(completion_percent, 0) >= {p_completedPercent:Float64}) / greatest(count(), 1) AS completion_rate,
      countIf(view_throughput_kbps IS NOT NULL) AS throughput_samples,
      quantilesExactInclusive(${THROUGHPUT_LEVELS})(view_throughput_kbps) AS throughput_kbps,
      toUnixTimestamp64Milli(maxOrNull(last_beacon_at)) AS newest_source_ms
    FROM (
      SELECT
        video_id, started_ms, completion_percent, last_beacon_at,
        if(notEmpty(throughput_samples),
           arrayReduce('quantileExactInclusive(0.5)', throughput_samples), NULL) AS view_throughput_kbps
      FROM (${featureViewsSql(database, scope)})
    )
    GROUP BY GROUPING SETS ((video_id), ())`;
}

/**
 * The fleet row's `popular` list: the POPULAR_LIMIT titles with the highest decayed popularity over
 * the window's views, ties by videoId (byte order). Read from the view rows alone, without the
 * beacons the title rows join, since decay needs only when each view started.
 */
function popularSql(database: string, scope: SyntheticScope): string {
  return `
    SELECT video_id, ${decayedSumSql('toUnixTimestamp64Milli(started_at)')} AS decayed
    FROM (${windowViewsSql(database, scope)})
    GROUP BY video_id
    ORDER BY decayed DESC, video_id
    LIMIT {p_popularLimit:UInt32}`;
}

interface PopularRow {
  video_id: string;
  decayed: number;
}

interface TitleViewsRow {
  entity: string;
  h1: number;
  h24: number;
  d7: number;
  decayed: number;
  completion_rate: number;
  throughput_samples: number;
  throughput_kbps: (number | null)[];
  newest_source_ms: number | null;
}

/**
 * The week's QoE per title and for the fleet from the QoE API's partials and sums (TOTALS_SELECT):
 * rebuffer ratio is stall ms / watch ms (qoe-model's `rebufferPercent` / 100, unrounded), start
 * failure rate failed starts / plays (its `videoStartFailurePercent` / 100). Clamped to 1: a share
 * in the contract, and a view whose stall beacons outran its heartbeats must not void the version.
 */
function titleQoeSql(partials: string): string {
  return `
    SELECT
      entity, views,
      if(watch_time_ms > 0, least(rebuffer_time_ms / watch_time_ms, 1), 0) AS rebuffer_ratio,
      if(plays > 0, least(start_failures / plays, 1), 0) AS start_failure_rate
    FROM (
      SELECT if(grouping(video_id) = 1, {p_fleet:String}, video_id) AS entity, ${TOTALS_SELECT}
      FROM (${partials})
      GROUP BY GROUPING SETS ((video_id), ())
    )`;
}

interface TitleQoeRow {
  entity: string;
  views: number;
  rebuffer_ratio: number;
  start_failure_rate: number;
}

/**
 * Share of the week's play time per rung, per title and for the fleet: the QoE API's rendition
 * partials (the heartbeats' rung on screen during their play time), highest bitrate first as the
 * QoE API lists renditions.
 */
function titleRungsSql(partials: string): string {
  return `
    SELECT entity, arraySort(r -> (-r.2, -r.1), groupArray((height, bitrate_kbps, play_time_ms / total_ms))) AS rungs
    FROM (
      SELECT entity, height, bitrate_kbps, play_time_ms, sum(play_time_ms) OVER (PARTITION BY entity) AS total_ms
      FROM (
        SELECT if(grouping(video_id) = 1, {p_fleet:String}, video_id) AS entity, height, bitrate_kbps,
          sum(play_time_ms) AS play_time_ms
        FROM (${partials})
        GROUP BY GROUPING SETS ((video_id, height, bitrate_kbps), (height, bitrate_kbps))
      )
    )
    WHERE total_ms > 0
    GROUP BY entity`;
}

interface TitleRungsRow {
  entity: string;
  rungs: [number, number, number][];
}

/**
 * Co-watch: for titles A and B watched within the co-watch window, the cosine similarity of their
 * viewer sets, |A ∩ B| / √(|A| · |B|) (Ochiai; the item-kNN measure of Sarwar et al. 2001 and
 * Deshpande & Karypis 2004), the top CO_WATCH_LIMIT per title by score, then videoId (byte order)
 * for a stable order among equal scores. Cosine rather than Jaccard: it penalises a popular neighbour
 * less (√ of the product, not the union), and on the simulated audience's tuning seed it ranked the
 * held-out title higher (HR@10 0.519 → 0.532; bench/README.md, reco-eval). The self-join of (viewer, title) pairs on the
 * viewer is an ARRAY JOIN of each viewer's titles with themselves: views_v1 is read once, and the
 * work is Σ over viewers of (titles watched)², never titles².
 */
function coWatchSql(database: string, scope: SyntheticScope): string {
  return `
    SELECT entity, arraySlice(arraySort(n -> (-n.2, n.1), groupArray((other, score))), 1, {p_coWatchLimit:UInt32}) AS co_watch
    FROM (
      SELECT a.1 AS entity, b.1 AS other, count() AS shared_viewers,
        shared_viewers / sqrt(any(a.2) * any(b.2)) AS score
      FROM (
        SELECT viewer_id, groupArray((video_id, title_viewers)) AS titles
        FROM (
          SELECT viewer_id, video_id, count() OVER (PARTITION BY video_id) AS title_viewers
          FROM (SELECT DISTINCT viewer_id, video_id FROM (${windowViewsSql(database, scope)}))
        )
        GROUP BY viewer_id
      )
      ARRAY JOIN titles AS a
      ARRAY JOIN titles AS b
      WHERE a.1 != b.1
      GROUP BY entity, other
      ORDER BY entity, score DESC, other
      LIMIT {p_coWatchLimit:UInt32} BY entity
    )
    GROUP BY entity`;
}

interface CoWatchRow {
  entity: string;
  co_watch: [string, number][];
}

/** Title features of every title viewed in the window, and the fleet's row (FLEET_ENTITY). */
export async function queryTitleFeatures(
  target: AnalyticsTarget,
  options: FeatureQueryOptions,
): Promise<FeatureRows<'title'>> {
  const { scope, window } = scopeAndWindow(options);
  const coWatchWindow = windowOf(
    options.nowMs,
    options.coWatchWindowMs ?? DEFAULT_CO_WATCH_WINDOW_MS,
    'coWatchWindowMs',
  );
  const fleet = { p_fleet: FLEET_ENTITY };
  const watermarkMs = await readWatermarkMs(target);
  const qoe = minutePartials(target, window, {}, scope, watermarkMs);
  const rungs = renditionPartials(target, window, {}, scope, watermarkMs);
  // Independent reads, in flight together.
  const [viewRows, qoeRows, rungRows, coWatchRows, popularRows] = await Promise.all([
    jsonRows<TitleViewsRow>(target, titleViewsSql(target.database, scope), {
      ...featureViewsParams(window),
      ...fleet,
      p_h1FromMs: window.toMs - HOUR_MS,
      p_h24FromMs: window.toMs - DAY_MS,
      p_d7FromMs: window.toMs - 7 * DAY_MS,
      ...decayParams(options.nowMs),
      p_completedPercent: COMPLETED_PERCENT,
    }),
    jsonRows<TitleQoeRow>(target, titleQoeSql(qoe.sql), { ...qoe.params, ...fleet }),
    jsonRows<TitleRungsRow>(target, titleRungsSql(rungs.sql), { ...rungs.params, ...fleet }),
    jsonRows<CoWatchRow>(target, coWatchSql(target.database, scope), {
      ...windowViewsParams(coWatchWindow),
      p_coWatchLimit: CO_WATCH_LIMIT,
    }),
    jsonRows<PopularRow>(target, popularSql(target.database, scope), {
      ...windowViewsParams(window),
      ...decayParams(options.nowMs),
      p_popularLimit: POPULAR_LIMIT,
    }),
  ]);

  const byEntity = <R extends { entity: string }>(rows: R[]) => new Map(rows.map((row) => [row.entity, row]));
  const views = byEntity(viewRows);
  const qoeOf = byEntity(qoeRows);
  const rungsOf = byEntity(rungRows);
  const coWatchOf = byEntity(coWatchRows);
  const popular = popularRows.map((row) => ({ videoId: row.video_id, score: row.decayed }));
  // The fleet row always exists: the fallback for a title without an audience yet.
  const entities = new Set([FLEET_ENTITY, ...views.keys(), ...coWatchOf.keys()]);
  const rows = [...entities].sort(compareCodePoints).map((videoId): TitleFeatures => {
    const v = views.get(videoId);
    const q = qoeOf.get(videoId);
    return {
      videoId,
      popularity: { h1: v?.h1 ?? 0, h24: v?.h24 ?? 0, d7: v?.d7 ?? 0, decayed: v?.decayed ?? 0 },
      completionRate: v?.completion_rate ?? 0,
      coWatch: (coWatchOf.get(videoId)?.co_watch ?? []).map(([other, score]) => ({ videoId: other, score })),
      qoe: {
        views: q?.views ?? 0,
        rebufferRatio: q?.rebuffer_ratio ?? 0,
        startFailureRate: q?.start_failure_rate ?? 0,
      },
      rungShare: (rungsOf.get(videoId)?.rungs ?? []).map(([height, bitrateKbps, share]) => ({
        height,
        bitrateKbps,
        share,
      })),
      throughputKbps: toDistribution(v?.throughput_samples ?? 0, v?.throughput_kbps ?? []),
      ...(videoId === FLEET_ENTITY ? { popular } : {}),
    };
  });
  return { rows, newestSourceAt: newestOf(viewRows.map((row) => row.newest_source_ms)) };
}

// ----------------------------------------------------------------------------------------------
// Viewer set
// ----------------------------------------------------------------------------------------------

/**
 * Per viewer with a view in the window: titles most recent first (by the latest start of a view of
 * each; equal times by videoId), the week's views, stalls and failed starts, the device of the latest
 * view that named one, the tallest player, and the throughput distribution over ALL the viewer's
 * measurements (each SDK interval, or CMCD `mtp` where a view had none): one viewer's spread over time
 * is what a start-rung hint needs, so unlike a title's audience it is not one sample per view.
 */
function viewerSql(database: string, scope: SyntheticScope): string {
  return `
    SELECT
      viewer_id,
      arrayMap(t -> t.2, arraySlice(arraySort(t -> (-t.1, t.2), groupArray((last_started_ms, video_id))),
        1, {p_recentLimit:UInt32})) AS recent_video_ids,
      sum(views) AS views,
      sum(rebuffers) AS rebuffers,
      sum(start_failures) AS start_failures,
      argMaxIf(title_device_class, title_device_started_ms, title_device_class != '') AS device_class,
      max(display_height) AS display_height,
      sum(length(samples)) AS throughput_samples,
      quantilesExactInclusiveArray(${THROUGHPUT_LEVELS})(samples) AS throughput_kbps,
      max(newest_source_ms) AS newest_source_ms
    FROM (
      SELECT
        viewer_id, video_id,
        max(started_ms) AS last_started_ms,
        count() AS views,
        sum(rebuffer_count) AS rebuffers,
        countIf(start_failure) AS start_failures,
        argMaxIf(device_class, started_ms, device_class != '') AS title_device_class,
        maxIf(started_ms, device_class != '') AS title_device_started_ms,
        ifNull(max(player_height), 0) AS display_height,
        groupArrayArray(throughput_samples) AS samples,
        toUnixTimestamp64Milli(max(last_beacon_at)) AS newest_source_ms
      FROM (${featureViewsSql(database, scope)})
      GROUP BY viewer_id, video_id
    )
    GROUP BY viewer_id`;
}

interface ViewerRow {
  viewer_id: string;
  recent_video_ids: string[];
  views: number;
  rebuffers: number;
  start_failures: number;
  device_class: string;
  display_height: number;
  throughput_samples: number;
  throughput_kbps: (number | null)[];
  newest_source_ms: number;
}

/** Viewer features of every viewer with a view in the window. */
export async function queryViewerFeatures(
  target: AnalyticsTarget,
  options: FeatureQueryOptions,
): Promise<FeatureRows<'viewer'>> {
  const { scope, window } = scopeAndWindow(options);
  const viewerRows = await jsonRows<ViewerRow>(target, viewerSql(target.database, scope), {
    ...featureViewsParams(window),
    p_recentLimit: RECENT_TITLES_LIMIT,
  });
  const rows = viewerRows
    .map(
      (row): ViewerFeatures => ({
        viewerId: row.viewer_id,
        recentVideoIds: row.recent_video_ids,
        throughputKbps: toDistribution(row.throughput_samples, row.throughput_kbps),
        deviceClass: row.device_class,
        displayHeight: row.display_height,
        views7d: row.views,
        rebuffers7d: row.rebuffers,
        startFailures7d: row.start_failures,
      }),
    )
    .sort((a, b) => compareCodePoints(a.viewerId, b.viewerId));
  return { rows, newestSourceAt: newestOf(viewerRows.map((row) => row.newest_source_ms)) };
}
