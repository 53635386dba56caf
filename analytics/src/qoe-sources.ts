/**
 * Where the QoE numbers of a range come from: minutes before the rollup watermark from the per-minute
 * rollups (FINAL: a minute the job wrote twice counts once), later minutes from views_v1 on the fly,
 * through the same partials SQL (qoe-view-sql.ts). Both halves have the same columns, so one
 * aggregation over their UNION ALL answers the whole range, fresh up to the last beacon inserted.
 */
import type { QoeFilters, SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import type { AnalyticsTarget } from './beacons-table.js';
import { filterConditions } from './qoe-filters.js';
import {
  MINUTE_PARTIAL_COLUMNS,
  minutePartialsSelect,
  PARTIAL_KEY_COLUMNS,
  RENDITION_PARTIAL_COLUMNS,
  renditionPartialsSelect,
  viewRowsSql,
} from './qoe-view-sql.js';

export const MINUTE_ROLLUP_TABLE = 'qoe_minute_v1';
export const RENDITION_ROLLUP_TABLE = 'qoe_rendition_minute_v1';
export const ROLLUP_STATE_TABLE = 'qoe_rollup_state_v1';
/** The row of qoe_rollup_state_v1 the rollup job advances. */
export const ROLLUP_STATE_NAME = 'qoe_minute';

/** A range of view START times, both ends on whole minutes (time-range.ts alignToMinutes). */
export interface QoeRange {
  fromMs: number;
  toMs: number;
}

/**
 * views_v1 rows are read from the day before `from` onwards (no upper bound: a view that started in
 * the range keeps its later beacons, late ones included), so a view is seen whole unless its first
 * beacons arrived more than a day before the rest.
 */
export const VIEW_DAYS_BEFORE_RANGE = 1;
const DAY_MS = 24 * 3600 * 1000;

/** The rollups cover view starts before this (0: not yet run). */
export async function readWatermarkMs(target: AnalyticsTarget): Promise<number> {
  const result = await target.client.query({
    query: `
      SELECT toUnixTimestamp(max(watermark)) * 1000 AS watermark_ms
      FROM ${target.database}.${ROLLUP_STATE_TABLE}
      WHERE name = {name:String}`,
    query_params: { name: ROLLUP_STATE_NAME },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ watermark_ms: string }>();
  return Number(row?.watermark_ms ?? 0);
}

/**
 * Views of views_v1 that started in [fromMs, toMs) matching the filters and the synthetic scope
 * (values as parameters `v_fromMs`, `v_toMs` and the filters' own). `fromMs`, `toMs` are bound, not
 * interpolated.
 */
export function freshViewRows(
  database: string,
  filters: QoeFilters,
  scope: SyntheticScope,
  extraHaving = '',
): string {
  const conditions = filterConditions(filters, scope).sql;
  // greatest(): Date counts days from 1970 unsigned, so 1970-01-01 minus a day would wrap to 2149.
  const video = filters.videoId === undefined ? '' : 'AND video_id = {f_videoId:String}';
  const rows = `day >= toDate(fromUnixTimestamp64Milli(greatest({v_fromMs:Int64} - ${VIEW_DAYS_BEFORE_RANGE * DAY_MS}, 0), 'UTC'))
        ${video}`;
  const startedInRange = (column: string) => `${column} >= fromUnixTimestamp64Milli({v_fromMs:Int64}, 'UTC')
        AND ${column} < fromUnixTimestamp64Milli({v_toMs:Int64}, 'UTC')`;
  // The views that started in the range, found from the small columns first (the day before too,
  // so a view that began before `from` is seen too): merging every view's beacon set of both days,
  // only to drop most of them in HAVING, was most of the cost of a fresh read (bench:dashboards).
  // Their beacon sets are then read from `from`'s day on: a view that started in the range has no
  // beacon before it, so its start time is the same.
  const where = `day >= toDate(fromUnixTimestamp64Milli({v_fromMs:Int64}, 'UTC')) ${video}
        AND (video_id, view_id) IN (
          SELECT video_id, view_id FROM ${database}.views_v1
          WHERE ${rows}
          GROUP BY video_id, view_id
          HAVING ${startedInRange('min(first_received_at)')})`;
  const having = `${startedInRange('started_at')} ${conditions} ${extraHaving}`;
  return viewRowsSql(database, where, having);
}

export interface PartialsSource {
  /** A subquery yielding partial rows (minute, dimensions, partial columns). */
  sql: string;
  params: Record<string, string | number>;
}

/** Minute partials of qoe_minute_v1's shape for the range and scope, rollups + fresh. */
export function minutePartials(
  target: AnalyticsTarget,
  range: QoeRange,
  filters: QoeFilters,
  scope: SyntheticScope,
  watermarkMs: number,
): PartialsSource {
  return partials(target, range, filters, scope, watermarkMs, {
    table: MINUTE_ROLLUP_TABLE,
    columns: [...PARTIAL_KEY_COLUMNS, ...MINUTE_PARTIAL_COLUMNS],
    fresh: minutePartialsSelect,
  });
}

/** Rendition partials of qoe_rendition_minute_v1's shape for the range and scope, rollups + fresh. */
export function renditionPartials(
  target: AnalyticsTarget,
  range: QoeRange,
  filters: QoeFilters,
  scope: SyntheticScope,
  watermarkMs: number,
): PartialsSource {
  return partials(target, range, filters, scope, watermarkMs, {
    table: RENDITION_ROLLUP_TABLE,
    columns: [...PARTIAL_KEY_COLUMNS, ...RENDITION_PARTIAL_COLUMNS],
    fresh: renditionPartialsSelect,
  });
}

function partials(
  target: AnalyticsTarget,
  range: QoeRange,
  filters: QoeFilters,
  scope: SyntheticScope,
  watermarkMs: number,
  shape: { table: string; columns: string[]; fresh: (viewRows: string) => string },
): PartialsSource {
  const { sql: conditions, params } = filterConditions(filters, scope);
  const splitMs = Math.min(Math.max(watermarkMs, range.fromMs), range.toMs);
  const columns = shape.columns.join(', ');
  const parts: string[] = [];
  if (splitMs > range.fromMs) {
    parts.push(`
      SELECT ${columns} FROM ${target.database}.${shape.table} FINAL
      WHERE minute >= fromUnixTimestamp64Milli({r_fromMs:Int64}, 'UTC')
        AND minute < fromUnixTimestamp64Milli({r_toMs:Int64}, 'UTC') ${conditions}`);
  }
  if (range.toMs > splitMs) {
    parts.push(`SELECT ${columns} FROM (${shape.fresh(freshViewRows(target.database, filters, scope))})`);
  }
  return {
    sql: parts.join('\nUNION ALL\n'),
    params: { ...params, r_fromMs: range.fromMs, r_toMs: splitMs, v_fromMs: splitMs, v_toMs: range.toMs },
  };
}
