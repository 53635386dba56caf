/**
 * Named QoE queries: overview, time series, breakdown by a dimension, top videos and renditions.
 * Each reads the partials of its range (qoe-sources.ts: rollups before the watermark, views_v1 after)
 * and sums them with TOTALS_SELECT; qoe-model.ts turns the sums into metrics.
 *
 * Deduplication: views_v1 keeps each view's beacons as a SET keyed by the beacon's hash, so a beacon
 * stored twice counts once whatever the merges did; rollup rows are read FINAL.
 * Time ranges select views by START (their first beacon's `received_at`, the collector's clock); a
 * view's whole watch time belongs to the minute it started (the Mux convention: a view is the unit).
 * Player QoE reads the SDK's beacons only: the origin's CMCD rows never enter views_v1.
 * Real viewers only unless the query asks for simulated ones (`synthetic`: 'synthetic' or 'all').
 */
import {
  DEFAULT_SYNTHETIC_SCOPE,
  type QoeBreakdownRow,
  type QoeFilters,
  type QoeMetrics,
  type QoeRendition,
  type QoeTimeseriesPoint,
  type SyntheticScope,
} from '@streamloop/core/schemas/qoe-api';
import type { AnalyticsTarget } from './beacons-table.js';
import { DIMENSIONS, type Dimension, pickFilters } from './qoe-filters.js';
import { finiteOrNull, percent, ratio, type TotalsRow, toQoeMetrics } from './qoe-model.js';
import { qoeScore } from './qoe-score.js';
import { minutePartials, type QoeRange, readWatermarkMs, renditionPartials } from './qoe-sources.js';
import { TOTALS_SELECT } from './qoe-view-sql.js';

/**
 * A range of view starts (ms; whole minutes once the rollups cover it), the filters and which views
 * count: `synthetic` absent means real viewers only (DEFAULT_SYNTHETIC_SCOPE).
 */
export type QoeQuery = QoeRange & QoeFilters & { synthetic?: SyntheticScope };

export const scopeOf = (query: { synthetic?: SyntheticScope }): SyntheticScope =>
  query.synthetic ?? DEFAULT_SYNTHETIC_SCOPE;

export type Overview = QoeMetrics;

export async function getOverview(target: AnalyticsTarget, query: QoeQuery): Promise<Overview> {
  const rows = await totalsBy(target, query, "''");
  return toQoeMetrics(rows[0]);
}

/** A point before the route adds its ISO `time`. */
export type TimeseriesPoint = Omit<QoeTimeseriesPoint, 'time'>;

/** One point per bucket of `intervalMs` from `fromMs`, empty buckets included (with zero views). */
export async function getTimeseries(
  target: AnalyticsTarget,
  query: QoeQuery,
  intervalMs: number,
): Promise<TimeseriesPoint[]> {
  const rows = await totalsBy(
    target,
    query,
    // Buckets counted from `fromMs` (whole minutes), so the first bucket starts where the range does.
    `toString(intDiv(toUnixTimestamp(minute) * 1000 - {b_fromMs:Int64}, {b_intervalMs:Int64}))`,
    { b_fromMs: query.fromMs, b_intervalMs: intervalMs },
  );
  const byBucket = new Map(rows.map((row) => [Number(row.key), row]));
  const points: TimeseriesPoint[] = [];
  for (let i = 0, t = query.fromMs; t < query.toMs; i++, t += intervalMs) {
    points.push({ timeMs: t, ...toQoeMetrics(byBucket.get(i)) });
  }
  return points;
}

export type BreakdownRow = QoeBreakdownRow;

export type SortMetric = 'views' | 'plays' | 'viewers' | 'watchTimeMs';
const SORT_COLUMNS: Record<SortMetric, string> = {
  views: 'views',
  plays: 'plays',
  viewers: 'viewers',
  watchTimeMs: 'watch_time_ms',
};

/** The metrics per value of one dimension, the `limit` values with the most `sortBy` first. */
export async function getBreakdown(
  target: AnalyticsTarget,
  query: QoeQuery,
  dimension: Dimension,
  options: { sortBy: SortMetric; limit: number },
): Promise<BreakdownRow[]> {
  const rows = await totalsBy(target, query, DIMENSIONS[dimension], {}, options);
  return rows.map((row) => ({ value: row.key, ...toQoeMetrics(row) }));
}

export type RenditionRow = QoeRendition;

/** Time and viewers per rung, highest bitrate first. */
export async function getRenditions(target: AnalyticsTarget, query: QoeQuery): Promise<RenditionRow[]> {
  const watermarkMs = await readWatermarkMs(target);
  const source = renditionPartials(target, query, pickFilters(query), scopeOf(query), watermarkMs);
  const result = await target.client.query({
    query: `
      SELECT rendition, height, bitrate_kbps, sum(views) AS views, uniqExactMerge(viewers) AS viewers,
        sum(play_time_ms) AS play_time_ms, sum(upscale_time_ms) AS upscale_time_ms,
        sum(view_play_time_ms) AS view_play_time_ms, sum(view_rebuffer_time_ms) AS view_rebuffer_time_ms,
        sum(playback_failures) AS playback_failures,
        quantilesExactInclusiveMerge(0.5, 0.9, 0.95)(startup_time_ms)[1] AS startup_p50_ms
      FROM (${source.sql})
      GROUP BY rendition, height, bitrate_kbps
      ORDER BY bitrate_kbps DESC, height DESC`,
    query_params: source.params,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{
    rendition: string;
    height: number;
    bitrate_kbps: number;
    views: string;
    viewers: string;
    play_time_ms: string;
    upscale_time_ms: string;
    view_play_time_ms: string;
    view_rebuffer_time_ms: string;
    playback_failures: string;
    startup_p50_ms: number | null;
  }>();
  const totalMs = rows.reduce((sum, row) => sum + Number(row.play_time_ms), 0);
  return rows.map((row) => {
    const views = Number(row.views);
    const playTimeMs = Number(row.play_time_ms);
    const upscaleTimeMs = Number(row.upscale_time_ms);
    const stalledMs = Number(row.view_rebuffer_time_ms);
    const rebufferRatio = ratio(stalledMs, Number(row.view_play_time_ms) + stalledMs);
    const playbackFailures = Number(row.playback_failures);
    // A rung's views all started (they played on it): no start failures to count.
    const score = qoeScore({
      plays: views,
      startFailures: 0,
      playbackFailures,
      startupP50Ms: finiteOrNull(row.startup_p50_ms),
      rebufferRatio,
      upscaleTimeMs,
      playTimeMs,
    });
    return {
      rendition: row.rendition,
      height: row.height,
      bitrateKbps: row.bitrate_kbps,
      views,
      viewers: Number(row.viewers),
      playTimeMs,
      playTimePercent: percent(playTimeMs, totalMs) ?? 0,
      upscaleTimeMs,
      upscalePercent: percent(upscaleTimeMs, playTimeMs),
      rebufferRatio,
      playbackFailurePercent: percent(playbackFailures, views),
      startupTimeMsP50: finiteOrNull(row.startup_p50_ms),
      qoeScore: score?.score ?? null,
    };
  });
}

/** TOTALS_SELECT over the range's partials, grouped by `keyExpression` (code, never input). */
async function totalsBy(
  target: AnalyticsTarget,
  query: QoeQuery,
  keyExpression: string,
  keyParams: Record<string, number> = {},
  order?: { sortBy: SortMetric; limit: number },
): Promise<(TotalsRow & { key: string })[]> {
  const watermarkMs = await readWatermarkMs(target);
  const source = minutePartials(target, query, pickFilters(query), scopeOf(query), watermarkMs);
  const orderBy =
    order === undefined
      ? 'ORDER BY key'
      : `ORDER BY ${SORT_COLUMNS[order.sortBy]} DESC, key LIMIT {limit:UInt32}`;
  const result = await target.client.query({
    query: `
      SELECT ${keyExpression} AS key, ${TOTALS_SELECT}
      FROM (${source.sql})
      GROUP BY key
      ${orderBy}`,
    query_params: { ...source.params, ...keyParams, ...(order === undefined ? {} : { limit: order.limit }) },
    format: 'JSONEachRow',
  });
  return result.json<TotalsRow & { key: string }>();
}
