/**
 * Per-viewer aggregates of one experiment's arms, cumulative at each look. The views are qoe-sources'
 * `freshViewRows` (the QoE model's one view-level definition, read straight from views_v1: no rollup
 * keeps the viewer id), narrowed to the views whose `variant` is `<experimentId>.<arm>` and that
 * started in [startMs, endMs).
 *
 * Looks: the experiment's life is cut into steps of `stepMs` from its start; look k (0-based)
 * holds every view that started before start + (k + 1) · step (the last look ends at endMs). A view is
 * fanned out (ARRAY JOIN) to every look from its own step on, so one query returns each viewer's
 * cumulative numbers at every look: rows = viewers × looks, which is why the caller coarsens the step
 * when an experiment has run for many hours (experiment-looks.ts).
 */
import type { SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import type { AnalyticsTarget } from '../beacons-table.js';
import { freshViewRows } from '../qoe-sources.js';

export interface ExperimentViewersQuery {
  experimentId: string;
  startMs: number;
  endMs: number;
  stepMs: number;
  looks: number;
  scope: SyntheticScope;
}

/** One viewer in one arm at one look; 64-bit sums arrive as strings. */
export interface ExperimentViewerRow {
  look: number;
  arm: string;
  viewer_id: string;
  views: string;
  synthetic_views: string;
  plays: string;
  started_views: string;
  start_failures: string;
  playback_failures: string;
  rebuffer_count: string;
  rebuffer_time_ms: string;
  watch_time_ms: string;
  play_time_ms: string;
  upscale_time_ms: string;
  /** kbps × ms = bits played at the shown rung's bitrate. */
  bitrate_kbps_x_play_ms: string;
  bitrate_play_time_ms: string;
  /** The startup time of each view that reached a first frame. */
  startup_times_ms: number[];
  /** Median of those (NaN without any), the QoE score's startup input. */
  startup_p50_ms: number | null;
}

export async function queryExperimentViewers(
  target: AnalyticsTarget,
  query: ExperimentViewersQuery,
): Promise<ExperimentViewerRow[]> {
  const prefix = `${query.experimentId}.`;
  const views = freshViewRows(target.database, {}, query.scope, 'AND startsWith(variant, {x_prefix:String})');
  const result = await target.client.query({
    query: `
      SELECT
        look,
        substring(variant, length({x_prefix:String}) + 1) AS arm,
        viewer_id,
        count() AS views,
        countIf(synthetic = 1) AS synthetic_views,
        countIf(requested) AS plays,
        countIf(started) AS started_views,
        countIf(start_failure) AS start_failures,
        countIf(playback_failure) AS playback_failures,
        sum(rebuffer_count) AS rebuffer_count,
        sum(rebuffer_time_ms) AS rebuffer_time_ms,
        sum(watch_time_ms) AS watch_time_ms,
        sum(play_time_ms) AS play_time_ms,
        sum(upscale_time_ms) AS upscale_time_ms,
        sum(bitrate_kbps_x_play_ms) AS bitrate_kbps_x_play_ms,
        sum(bitrate_play_time_ms) AS bitrate_play_time_ms,
        groupArray(startup_time_ms) AS startup_times_ms,
        quantileExactInclusive(0.5)(startup_time_ms) AS startup_p50_ms
      FROM (${views})
      ARRAY JOIN range(
        toUInt32(intDiv(toUnixTimestamp64Milli(started_at) - {v_fromMs:Int64}, {x_stepMs:Int64})),
        {x_looks:UInt32}) AS look
      GROUP BY look, arm, viewer_id
      ORDER BY look, arm, viewer_id`,
    query_params: {
      v_fromMs: query.startMs,
      v_toMs: query.endMs,
      x_prefix: prefix,
      x_stepMs: query.stepMs,
      x_looks: query.looks,
    },
    format: 'JSONEachRow',
  });
  return result.json<ExperimentViewerRow>();
}
