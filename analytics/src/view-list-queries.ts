/**
 * The sessions list of the QoE API: the views that started in a range, worst QoE score first or
 * newest first, each with its own QoE numbers, read from views_v1 (per-view rows exist nowhere else),
 * and how many distinct viewers the whole list (not just the page) comes from, for the privacy floor.
 * A view's beacon timeline is session-queries.ts.
 */
import type { QoeViewSummary } from '@streamloop/core/schemas/qoe-api';
import type { AnalyticsTarget } from './beacons-table.js';
import { filterConditions, pickFilters } from './qoe-filters.js';
import { type QoeQuery, scopeOf } from './qoe-queries.js';
import { viewQoeScoreSql } from './qoe-score.js';
import { freshViewRows } from './qoe-sources.js';

export type ViewSummary = QoeViewSummary;
export type ViewOrder = 'worst' | 'newest';

const ORDER_BY: Record<ViewOrder, string> = {
  // Views that never asked to play have no score: last, newest first among them.
  worst: 'qoe_score IS NULL, qoe_score, started_at DESC, view_id',
  newest: 'started_at DESC, view_id',
};

interface ViewRow {
  view_id: string;
  session_id: string;
  viewer_id: string;
  video_id: string;
  variant: string;
  ladder_id: string;
  browser: string;
  os: string;
  device_class: string;
  country: string;
  cohort: string;
  network_class: string;
  synthetic: number;
  started_at_ms: string;
  last_beacon_at_ms: string;
  startup_time_ms: number | null;
  watch_time_ms: string;
  play_time_ms: string;
  rebuffer_count: number;
  rebuffer_time_ms: string;
  error_count: number;
  start_failure: number;
  exit_before_start: number;
  playback_failure: number;
  qoe_score: number | null;
  matching_viewers: string;
}

/** At most `limit` views; `truncated` says there were more; `viewers`: distinct viewers of all that match. */
export async function listViews(
  target: AnalyticsTarget,
  query: QoeQuery,
  options: { limit: number; order: ViewOrder },
): Promise<{ views: ViewSummary[]; truncated: boolean; viewers: number }> {
  const { limit, order } = options;
  const filters = pickFilters(query);
  const scope = scopeOf(query);
  const result = await target.client.query({
    query: `
      SELECT view_id, session_id, viewer_id, video_id, variant, ladder_id, browser, os, device_class, country,
        cohort, network_class, synthetic,
        toUnixTimestamp64Milli(started_at) AS started_at_ms,
        toUnixTimestamp64Milli(last_beacon_at) AS last_beacon_at_ms,
        startup_time_ms, watch_time_ms, play_time_ms, rebuffer_count, rebuffer_time_ms, error_count,
        start_failure, exit_before_start, playback_failure,
        ${viewQoeScoreSql()} AS qoe_score,
        uniqExact(viewer_id) OVER () AS matching_viewers
      FROM (${freshViewRows(target.database, filters, scope)})
      ORDER BY ${ORDER_BY[order]}
      LIMIT {limitPlusOne:UInt32}`,
    query_params: {
      ...filterConditions(filters, scope).params,
      v_fromMs: query.fromMs,
      v_toMs: query.toMs,
      limitPlusOne: limit + 1,
    },
    format: 'JSONEachRow',
  });
  const rows = await result.json<ViewRow>();
  return {
    views: rows.slice(0, limit).map(toSummary),
    truncated: rows.length > limit,
    viewers: Number(rows[0]?.matching_viewers ?? 0),
  };
}

function toSummary(row: ViewRow): ViewSummary {
  return {
    viewId: row.view_id,
    sessionId: row.session_id,
    viewerId: row.viewer_id,
    videoId: row.video_id,
    variant: row.variant,
    ladderId: row.ladder_id,
    browser: row.browser,
    os: row.os,
    deviceClass: row.device_class,
    country: row.country,
    synthetic: row.synthetic === 1,
    cohort: row.cohort,
    networkClass: row.network_class,
    startedAtMs: Number(row.started_at_ms),
    lastBeaconAtMs: Number(row.last_beacon_at_ms),
    startupTimeMs: row.startup_time_ms,
    watchTimeMs: Number(row.watch_time_ms),
    playTimeMs: Number(row.play_time_ms),
    rebufferCount: Number(row.rebuffer_count),
    rebufferTimeMs: Number(row.rebuffer_time_ms),
    errors: Number(row.error_count),
    videoStartFailure: row.start_failure === 1,
    exitBeforeVideoStart: row.exit_before_start === 1,
    playbackFailure: row.playback_failure === 1,
    qoeScore: row.qoe_score,
  };
}
