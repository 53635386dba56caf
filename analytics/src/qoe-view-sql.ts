/**
 * The SQL that turns views_v1 (migrations/004_views.sql, 007) into QoE numbers, in ONE place for the
 * rollup job (which stores minute partials) and the API (which computes the same partials on the fly
 * for minutes the rollups do not cover yet). Fragments here are code, never values: every value is a
 * `{name:Type}` parameter bound by the engine.
 *
 * Three layers:
 * 1. `viewRowsSql` — one row per view: its states merged, dimensions with '' for unknown, `synthetic`
 *    (1 when any beacon of the view said so), and every per-view number derived from the view's set
 *    of distinct beacons (docs/metrics.md, "QoE model").
 * 2. `minutePartialsSelect` — views grouped by start minute and dimensions into the columns of
 *    qoe_minute_v1 (plain sums plus mergeable states for viewers and startup quantiles).
 * 3. `TOTALS_SELECT` — any set of partials (rollup rows and fresh ones alike) summed into totals.
 */

/**
 * Dimensions every rollup row carries; '' means unknown. Each but video_id (views_v1's key) is a
 * per-view `any` column of views_v1, which `viewRowsSql` reads back by this list.
 */
export const DIMENSION_COLUMNS = [
  'video_id',
  'variant',
  'ladder_id',
  'browser',
  'os',
  'device_class',
  'country',
  // Simulated audiences only (migration 007).
  'cohort',
  'network_class',
] as const;
export type DimensionColumn = (typeof DIMENSION_COLUMNS)[number];
/** The dimensions views_v1 keeps per view (video_id is its key). */
const VIEW_DIMENSION_COLUMNS = DIMENSION_COLUMNS.filter((column) => column !== 'video_id');

/**
 * Every partial row's key: the start minute, the dimensions and `synthetic` (1: a simulated viewer's
 * views, 0: real ones), which is never a filter value but the scope every reader picks.
 */
export const PARTIAL_KEY_COLUMNS = ['minute', ...DIMENSION_COLUMNS, 'synthetic'] as const;

/**
 * Per-view totals that a partial (a rollup minute or a fresh one) sums, and partials sum again into
 * totals: the same column list on both levels, so a new one cannot be summed on one and missed on the other.
 */
const SUMMED_COLUMNS = [
  'error_count',
  'rebuffer_count',
  'rebuffer_time_ms',
  'seek_count',
  'seek_time_ms',
  'watch_time_ms',
  'play_time_ms',
  'pause_time_ms',
  'upscale_time_ms',
  'bitrate_kbps_x_play_ms',
  'bitrate_play_time_ms',
] as const;

/** The columns of qoe_minute_v1 after minute, dimensions and synthetic (the job inserts by this list). */
export const MINUTE_PARTIAL_COLUMNS = [
  'views',
  'plays',
  'started_views',
  'start_failures',
  'exits_before_start',
  'playback_failures',
  'viewers',
  'startup_time_ms',
  ...SUMMED_COLUMNS,
] as const;

/**
 * One row per view of views_v1 matching `where` (a condition on its key columns video_id and day).
 * `having` filters the finished views (on started_at, the dimensions...).
 */
export function viewRowsSql(database: string, where: string, having: string): string {
  return `
    SELECT
      video_id, view_id, session_id, viewer_id, ${VIEW_DIMENSION_COLUMNS.join(', ')}, synthetic,
      started_at, last_beacon_at,
      arrayExists(x -> x.event IN ('playrequest', 'firstframe'), b) AS requested,
      arrayFilter(x -> x.event = 'firstframe', b) AS first_frames,
      length(first_frames) > 0 AS started,
      if(started, arrayMin(x -> x.startup_time_ms, first_frames), NULL) AS startup_time_ms,
      -- The page's monotonic clock orders a fatal error against the first frame.
      if(started, arrayMin(x -> x.monotonic_ms, first_frames), inf) AS first_frame_monotonic_ms,
      arrayMap(x -> x.monotonic_ms, arrayFilter(x -> x.fatal = 1, b)) AS fatal_monotonic_ms,
      requested AND arrayExists(m -> m < first_frame_monotonic_ms, fatal_monotonic_ms) AS start_failure,
      requested AND NOT started AND NOT start_failure AND arrayExists(x -> x.event = 'viewend', b)
        AS exit_before_start,
      started AND arrayExists(m -> m >= first_frame_monotonic_ms, fatal_monotonic_ms) AS playback_failure,
      arrayCount(x -> x.event = 'error', b) AS error_count,
      arrayCount(x -> x.event = 'rebufferstart', b) AS rebuffer_count,
      arraySum(x -> if(x.event = 'rebufferend', x.rebuffer_duration_ms, 0), b) AS rebuffer_time_ms,
      arrayCount(x -> x.event = 'seekend', b) AS seek_count,
      arraySum(x -> if(x.event = 'seekend', x.seek_duration_ms, 0), b) AS seek_time_ms,
      arraySum(x -> x.watch_time_ms, b) AS watch_time_ms,
      arraySum(x -> x.play_time_ms, b) AS play_time_ms,
      arraySum(x -> x.pause_time_ms, b) AS pause_time_ms,
      arraySum(x -> x.upscale_time_ms, b) AS upscale_time_ms,
      -- A heartbeat's bitrate is the rung shown during its play time (player-sdk heartbeat-controller).
      arrayFilter(x -> x.bitrate_kbps > 0 AND x.play_time_ms > 0, b) AS rung_beacons,
      arraySum(x -> toUInt64(x.bitrate_kbps) * x.play_time_ms, rung_beacons) AS bitrate_kbps_x_play_ms,
      arraySum(x -> x.play_time_ms, rung_beacons) AS bitrate_play_time_ms,
      rung_beacons
    FROM (
      SELECT
        video_id, view_id,
        any(session_id) AS session_id,
        any(viewer_id) AS viewer_id,
        ${VIEW_DIMENSION_COLUMNS.map((column) => `ifNull(any(${column}), '') AS ${column}`).join(',\n        ')},
        max(synthetic) AS synthetic,
        min(first_received_at) AS started_at,
        max(last_received_at) AS last_beacon_at,
        groupUniqArrayMerge(beacons) AS b
      FROM ${database}.views_v1
      WHERE ${where}
      GROUP BY video_id, view_id
      HAVING ${having}
    )`;
}

/** Views (from `viewRowsSql`) into qoe_minute_v1's columns, keyed by start minute and dimensions. */
export function minutePartialsSelect(viewRows: string): string {
  return `
    SELECT
      toStartOfMinute(started_at) AS minute,
      ${DIMENSION_COLUMNS.join(', ')},
      synthetic,
      count() AS views,
      countIf(requested) AS plays,
      countIf(started) AS started_views,
      countIf(start_failure) AS start_failures,
      countIf(exit_before_start) AS exits_before_start,
      countIf(playback_failure) AS playback_failures,
      uniqExactState(if(requested, viewer_id, NULL)) AS viewers,
      quantilesExactInclusiveState(0.5, 0.9, 0.95)(startup_time_ms) AS startup_time_ms,
      ${SUMMED_COLUMNS.map((column) => `sum(${column}) AS ${column}`).join(',\n      ')}
    FROM (${viewRows})
    GROUP BY ${PARTIAL_KEY_COLUMNS.join(', ')}`;
}

/** The columns of qoe_rendition_minute_v1 after minute, dimensions and synthetic (the job inserts by this list). */
export const RENDITION_PARTIAL_COLUMNS = [
  'rendition',
  'height',
  'bitrate_kbps',
  'views',
  'viewers',
  'play_time_ms',
  // Migration 012: the QoE of the views on the rung.
  'upscale_time_ms',
  'view_play_time_ms',
  'view_rebuffer_time_ms',
  'playback_failures',
  'startup_time_ms',
] as const;

/**
 * Views into qoe_rendition_minute_v1's columns: one row per start minute, dimensions and rung. Play
 * and upscale time are the rung's own heartbeats'; the `view_*` numbers, failures and startup are
 * those of the whole views that played on the rung (a view that played on two rungs counts on both).
 */
export function renditionPartialsSelect(viewRows: string): string {
  // The view's own play time, renamed: \`play_time_ms\` below is the rung's, and an alias wins over a column.
  return `
    SELECT
      toStartOfMinute(started_at) AS minute,
      ${DIMENSION_COLUMNS.join(', ')},
      synthetic,
      concat(toString(rung.1), 'p@', toString(rung.2), 'kbps') AS rendition,
      rung.1 AS height,
      rung.2 AS bitrate_kbps,
      count() AS views,
      uniqExactState(toNullable(viewer_id)) AS viewers,
      sum(arraySum(x -> if(x.height = rung.1 AND x.bitrate_kbps = rung.2, x.play_time_ms, 0), rung_beacons))
        AS play_time_ms,
      sum(arraySum(x -> if(x.height = rung.1 AND x.bitrate_kbps = rung.2, x.upscale_time_ms, 0), rung_beacons))
        AS upscale_time_ms,
      sum(whole_view_play_time_ms) AS view_play_time_ms,
      sum(rebuffer_time_ms) AS view_rebuffer_time_ms,
      countIf(playback_failure) AS playback_failures,
      quantilesExactInclusiveState(0.5, 0.9, 0.95)(startup_time_ms) AS startup_time_ms
    FROM (SELECT *, play_time_ms AS whole_view_play_time_ms FROM (${viewRows}))
    ARRAY JOIN arrayDistinct(arrayMap(x -> (x.height, x.bitrate_kbps), rung_beacons)) AS rung
    GROUP BY ${PARTIAL_KEY_COLUMNS.join(', ')}, rendition, height, bitrate_kbps`;
}

/** Partials (rollup rows or fresh ones) summed; 64-bit sums arrive as strings. */
export const TOTALS_SELECT = `
      sum(views) AS views,
      sum(plays) AS plays,
      sum(started_views) AS started_views,
      sum(start_failures) AS start_failures,
      sum(exits_before_start) AS exits_before_start,
      sum(playback_failures) AS playback_failures,
      uniqExactMerge(viewers) AS viewers,
      quantilesExactInclusiveMerge(0.5, 0.9, 0.95)(startup_time_ms) AS startup_time_ms,
      ${SUMMED_COLUMNS.map((column) => `sum(${column}) AS ${column}`).join(',\n      ')}`;
