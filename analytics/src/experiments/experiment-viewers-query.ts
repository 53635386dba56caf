/**
 * Per-viewer aggregates of one experiment's arms, cumulative at each look. A viewer's numbers come
 * from the QoE model's view-level SQL (qoe-sources' `freshViewRows`, one definition) narrowed to the
 * views whose `variant` is `<experimentId>.<arm>`, summed per viewer and START MINUTE
 * (`experimentViewerMinutesSelect`). Those minute rows come from two places, as the QoE API's do:
 * before the rollup watermark from experiment_viewer_minute_v1, which the rollup job writes for
 * settled views (migration 010), after it from views_v1 on the fly. Both halves have the same
 * columns, so one aggregation over their UNION ALL answers the whole experiment, fresh up to the
 * last beacon inserted; without it, every look would merge every view's beacons again.
 *
 * Looks: the experiment's life is cut into steps of `stepMs` (whole hours) from the minute it started;
 * look k (0-based) holds every view that started before that minute + (k + 1) · step (and before
 * endMs). The query returns each viewer's numbers per STEP (rows ≈ views, not viewers × looks);
 * experiment-viewer-looks.ts adds them up into each viewer's cumulative numbers at every look.
 */
import type { SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import type { AnalyticsTarget } from '../beacons-table.js';
import { filterConditions } from '../qoe-filters.js';
import { freshViewRows } from '../qoe-sources.js';

export const EXPERIMENT_VIEWER_TABLE = 'experiment_viewer_minute_v1';

export interface ExperimentViewersQuery {
  experimentId: string;
  startMs: number;
  endMs: number;
  stepMs: number;
  scope: SyntheticScope;
  /** The rollups cover view starts before this (qoe-sources' `readWatermarkMs`); 0 reads views_v1 only. */
  watermarkMs: number;
}

/**
 * Each viewer's views in one arm that started in one step, column by column: row j is the j-th
 * entry of every array. Columns, not rows, because the answer has ~one row per view and is read
 * whole: chdb formats and Node parses plain number arrays faster than an object per row.
 */
export type ExperimentViewerSteps = {
  step: number[];
  arm: string[];
  viewer_id: string[];
  synthetic_views: number[];
  /** The startup time of each view that reached a first frame (in no particular order). */
  startup_times_ms: number[][];
} & Record<SummedColumn, number[]>;

/** What a minute row holds per (minute, arm, viewer), from the views; the viewer row sums each again. */
const MINUTE_SUMS = {
  views: 'count()',
  plays: 'countIf(requested)',
  started_views: 'countIf(started)',
  start_failures: 'countIf(start_failure)',
  playback_failures: 'countIf(playback_failure)',
  rebuffer_count: 'sum(rebuffer_count)',
  rebuffer_time_ms: 'sum(rebuffer_time_ms)',
  watch_time_ms: 'sum(watch_time_ms)',
  play_time_ms: 'sum(play_time_ms)',
  upscale_time_ms: 'sum(upscale_time_ms)',
  bitrate_kbps_x_play_ms: 'sum(bitrate_kbps_x_play_ms)',
  bitrate_play_time_ms: 'sum(bitrate_play_time_ms)',
} as const;
export const SUMMED_COLUMNS = Object.keys(MINUTE_SUMS) as (keyof typeof MINUTE_SUMS)[];
export type SummedColumn = (typeof SUMMED_COLUMNS)[number];

/** experiment_viewer_minute_v1's columns before computed_at (the rollup job inserts by this list). */
export const EXPERIMENT_VIEWER_COLUMNS = [
  'minute',
  'variant',
  'viewer_id',
  'synthetic',
  ...SUMMED_COLUMNS,
  'startup_times_ms',
] as const;

/** Views (qoe-view-sql's `viewRowsSql`) of any experiment arm into experiment_viewer_minute_v1's columns. */
export function experimentViewerMinutesSelect(viewRows: string): string {
  return `
    SELECT
      toStartOfMinute(started_at) AS minute,
      variant,
      viewer_id,
      synthetic,
      ${SUMMED_COLUMNS.map((column) => `${MINUTE_SUMS[column]} AS ${column}`).join(',\n      ')},
      groupArrayIf(toUInt32(assumeNotNull(startup_time_ms)), startup_time_ms IS NOT NULL) AS startup_times_ms
    FROM (${viewRows})
    WHERE variant != ''
    GROUP BY minute, variant, viewer_id, synthetic`;
}

const MINUTE_MS = 60_000;

/** Each viewer's numbers per step and arm, in step order. */
export async function queryExperimentViewerSteps(
  target: AnalyticsTarget,
  query: ExperimentViewersQuery,
): Promise<ExperimentViewerSteps> {
  const originMs = Math.floor(query.startMs / MINUTE_MS) * MINUTE_MS;
  const endMs = Math.max(query.endMs, originMs);
  // Whole minutes only from the rollups: the minute endMs falls in may hold views after it.
  const splitMs = Math.min(Math.max(query.watermarkMs, originMs), Math.floor(endMs / MINUTE_MS) * MINUTE_MS);
  const columns = EXPERIMENT_VIEWER_COLUMNS.join(', ');
  const parts: string[] = [];
  if (splitMs > originMs) {
    parts.push(`
      SELECT ${columns} FROM ${target.database}.${EXPERIMENT_VIEWER_TABLE} FINAL
      WHERE startsWith(variant, {x_prefix:String})
        AND minute >= fromUnixTimestamp64Milli({r_fromMs:Int64}, 'UTC')
        AND minute < fromUnixTimestamp64Milli({r_toMs:Int64}, 'UTC') ${filterConditions({}, query.scope).sql}`);
  }
  if (endMs > splitMs) {
    const views = freshViewRows(
      target.database,
      {},
      query.scope,
      'AND startsWith(variant, {x_prefix:String})',
    );
    parts.push(`SELECT ${columns} FROM (${experimentViewerMinutesSelect(views)})`);
  }
  const result = await target.client.query({
    query: `
      SELECT
        toUInt32(intDiv(toUnixTimestamp(m.minute) * 1000 - {x_originMs:Int64}, {x_stepMs:Int64})) AS step,
        substring(m.variant, length({x_prefix:String}) + 1) AS arm,
        m.viewer_id AS viewer_id,
        sumIf(m.views, m.synthetic = 1) AS synthetic_views,
        ${SUMMED_COLUMNS.map((column) => `sum(m.${column}) AS ${column}`).join(',\n        ')},
        groupArrayArray(m.startup_times_ms) AS startup_times_ms
      FROM (${parts.join('\nUNION ALL\n')}) AS m
      GROUP BY step, arm, viewer_id
      ORDER BY step, arm, viewer_id`,
    query_params: {
      r_fromMs: originMs,
      r_toMs: splitMs,
      v_fromMs: splitMs,
      v_toMs: endMs,
      x_prefix: `${query.experimentId}.`,
      x_originMs: originMs,
      x_stepMs: query.stepMs,
    },
    format: 'JSONColumnsWithMetadata',
    // Sums are far below 2^53: numbers, not the strings ClickHouse quotes 64-bit integers as.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const { data } = (await result.json()) as unknown as { data: Partial<ExperimentViewerSteps> };
  // An empty answer has no columns at all.
  const column = <K extends keyof ExperimentViewerSteps>(name: K): ExperimentViewerSteps[K] =>
    (data[name] ?? []) as ExperimentViewerSteps[K];
  return Object.fromEntries(STEP_COLUMNS.map((name) => [name, column(name)])) as ExperimentViewerSteps;
}

const STEP_COLUMNS = [
  'step',
  'arm',
  'viewer_id',
  'synthetic_views',
  ...SUMMED_COLUMNS,
  'startup_times_ms',
] as const satisfies readonly (keyof ExperimentViewerSteps)[];
