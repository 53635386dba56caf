/**
 * Rollup maintenance: writes the per-minute rollups (qoe_minute_v1, qoe_rendition_minute_v1, and
 * experiment_viewer_minute_v1 for the experiments' per-viewer statistics) for views that have SETTLED (no beacon for `settleMs`), then moves the watermark the API splits on.
 *
 * Idempotent and safe to run twice, or twice at once: it always recomputes WHOLE minutes from
 * views_v1 (which is deduplicated per beacon), so a minute written again has the same rows, and
 * ReplacingMergeTree + FINAL keeps one. A beacon INSERTED since the previous run for a view already
 * rolled up (a page that was idle longer than `settleMs`, a consumer catching up on a backlog) makes
 * that view's minute be recomputed: views_v1 records the store's clock at each insert.
 */
import { type AnalyticsTarget, toDateTime64Text } from '../beacons-table.js';
import {
  EXPERIMENT_VIEWER_COLUMNS,
  EXPERIMENT_VIEWER_TABLE,
  experimentViewerMinutesSelect,
} from '../experiments/experiment-viewers-query.js';
import {
  freshViewRows,
  MINUTE_ROLLUP_TABLE,
  RENDITION_ROLLUP_TABLE,
  ROLLUP_STATE_NAME,
  ROLLUP_STATE_TABLE,
  readWatermarkMs,
} from '../qoe-sources.js';
import {
  MINUTE_PARTIAL_COLUMNS,
  minutePartialsSelect,
  PARTIAL_KEY_COLUMNS,
  RENDITION_PARTIAL_COLUMNS,
  renditionPartialsSelect,
} from '../qoe-view-sql.js';

export interface RollupOptions {
  nowMs: number;
  /** A view with no beacon for this long is complete enough to roll up (the SDK beats every 10 s). */
  settleMs?: number;
}

export interface RollupResult {
  watermarkMs: number;
  /** Minute ranges recomputed, [fromMs, toMs). */
  recomputed: { fromMs: number; toMs: number }[];
}

export const DEFAULT_SETTLE_MS = 30 * 60_000;
/** Inserts still in flight while the previous run read the clock are looked at again. */
const INSERT_MARGIN_S = 300;
const MINUTE_MS = 60_000;

export async function runRollup(target: AnalyticsTarget, options: RollupOptions): Promise<RollupResult> {
  const { nowMs, settleMs = DEFAULT_SETTLE_MS } = options;
  const previousMs = await readWatermarkMs(target);
  const previousInsertedThroughS = await readInsertedThroughS(target);
  // Read before the work: rows inserted while the job runs are looked at again next time.
  const insertedThroughS = await latestInsertS(target);
  const earliestActiveMs = await earliestActiveStartMs(target, nowMs - settleMs);
  const frontierMs = floorMinute(Math.min(nowMs - settleMs, earliestActiveMs ?? Number.POSITIVE_INFINITY));
  const watermarkMs = Math.max(previousMs, frontierMs);

  const touched = await touchedMinutesMs(
    target,
    Math.max(previousInsertedThroughS - INSERT_MARGIN_S, 0),
    previousMs,
  );
  const first = touched[0];
  const last = touched.at(-1);
  // One pass for all touched minutes, however scattered (a backlog can touch thousands).
  if (first !== undefined && last !== undefined) {
    await rollUp(target, { fromMs: first, toMs: last + MINUTE_MS }, touched);
  }
  if (watermarkMs > previousMs) await rollUp(target, { fromMs: previousMs, toMs: watermarkMs });
  if (watermarkMs > previousMs || insertedThroughS > previousInsertedThroughS) {
    // Only after the rows are in: a reader that sees the new watermark finds its minutes rolled up.
    await target.client.insert({
      table: `${target.database}.${ROLLUP_STATE_TABLE}`,
      values: [
        {
          name: ROLLUP_STATE_NAME,
          watermark: toDateTime64Text(watermarkMs).slice(0, 19),
          inserted_through: toDateTime64Text(insertedThroughS * 1000).slice(0, 19),
          updated_at: toDateTime64Text(nowMs),
        },
      ],
      format: 'JSONEachRow',
    });
  }
  const recomputed = mergeMinutes(touched);
  if (watermarkMs > previousMs) recomputed.push({ fromMs: previousMs, toMs: watermarkMs });
  return { watermarkMs, recomputed };
}

/** Rewrites the minutes of [fromMs, toMs), or only `onlyMinutesMs` of them, from views_v1. */
async function rollUp(
  target: AnalyticsTarget,
  range: { fromMs: number; toMs: number },
  onlyMinutesMs?: number[],
): Promise<void> {
  const only =
    onlyMinutesMs === undefined
      ? ''
      : 'AND has({minutesS:Array(UInt32)}, toUInt32(toStartOfMinute(started_at)))';
  // Every view, real and synthetic: each row says which it is, readers pick by scope.
  const viewRows = freshViewRows(target.database, {}, 'all', only);
  const params = {
    v_fromMs: range.fromMs,
    v_toMs: range.toMs,
    ...(onlyMinutesMs === undefined ? {} : { minutesS: onlyMinutesMs.map((ms) => ms / 1000) }),
  };
  const rollups: { table: string; names: readonly string[]; select: string }[] = [
    {
      table: MINUTE_ROLLUP_TABLE,
      names: [...PARTIAL_KEY_COLUMNS, ...MINUTE_PARTIAL_COLUMNS],
      select: minutePartialsSelect(viewRows),
    },
    {
      table: RENDITION_ROLLUP_TABLE,
      names: [...PARTIAL_KEY_COLUMNS, ...RENDITION_PARTIAL_COLUMNS],
      select: renditionPartialsSelect(viewRows),
    },
    // Per viewer, for the experiments' statistics (the two above drop the viewer).
    {
      table: EXPERIMENT_VIEWER_TABLE,
      names: EXPERIMENT_VIEWER_COLUMNS,
      select: experimentViewerMinutesSelect(viewRows),
    },
  ];
  for (const { table, names, select } of rollups) {
    // By name: columns added later (007 put synthetic, cohort, network_class mid-table) cannot shift.
    await target.client.command({
      query: `INSERT INTO ${target.database}.${table} (${names.join(', ')}, computed_at)
        SELECT ${names.join(', ')}, now64(3) FROM (${select})`,
      query_params: params,
    });
  }
}

/** The start of the earliest view still receiving beacons, or null when none is. */
async function earliestActiveStartMs(target: AnalyticsTarget, activeSinceMs: number): Promise<number | null> {
  const result = await target.client.query({
    query: `
      SELECT count() AS active, toUnixTimestamp64Milli(min(started_at)) AS earliest_ms
      FROM (
        SELECT min(first_received_at) AS started_at, max(last_received_at) AS last_beacon_at
        FROM ${target.database}.views_v1
        WHERE day >= toDate(fromUnixTimestamp64Milli({activeSinceMs:Int64}, 'UTC')) - 1
        GROUP BY video_id, view_id
        HAVING last_beacon_at >= fromUnixTimestamp64Milli({activeSinceMs:Int64}, 'UTC')
      )`,
    query_params: { activeSinceMs },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ active: string; earliest_ms: string }>();
  return Number(row?.active ?? 0) > 0 ? Number(row?.earliest_ms) : null;
}

/** Start minutes (before the watermark) of views with beacons inserted since `sinceS` (store clock). */
async function touchedMinutesMs(
  target: AnalyticsTarget,
  sinceS: number,
  watermarkMs: number,
): Promise<number[]> {
  if (watermarkMs === 0) return [];
  const views = `${target.database}.views_v1`;
  const result = await target.client.query({
    query: `
      SELECT DISTINCT toUnixTimestamp(toStartOfMinute(started_at)) * 1000 AS minute_ms
      FROM (
        SELECT min(first_received_at) AS started_at
        FROM ${views}
        WHERE (video_id, view_id) IN (
          SELECT video_id, view_id FROM ${views} WHERE last_inserted_at >= toDateTime({sinceS:UInt32}, 'UTC')
        )
        GROUP BY video_id, view_id
        HAVING started_at < fromUnixTimestamp64Milli({watermarkMs:Int64}, 'UTC')
      )
      ORDER BY minute_ms`,
    query_params: { sinceS, watermarkMs },
    format: 'JSONEachRow',
  });
  return (await result.json<{ minute_ms: string }>()).map((row) => Number(row.minute_ms));
}

/** The store's clock at the latest insert into views_v1 (s), 0 when empty. */
async function latestInsertS(target: AnalyticsTarget): Promise<number> {
  const result = await target.client.query({
    query: `SELECT toUnixTimestamp(max(last_inserted_at)) AS s FROM ${target.database}.views_v1`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ s: string }>())[0]?.s ?? 0);
}

async function readInsertedThroughS(target: AnalyticsTarget): Promise<number> {
  const result = await target.client.query({
    query: `
      SELECT toUnixTimestamp(max(inserted_through)) AS s FROM ${target.database}.${ROLLUP_STATE_TABLE}
      WHERE name = {name:String}`,
    query_params: { name: ROLLUP_STATE_NAME },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ s: string }>())[0]?.s ?? 0);
}

/** Sorted minute starts → contiguous [from, to) ranges. */
export function mergeMinutes(minutesMs: number[]): { fromMs: number; toMs: number }[] {
  const ranges: { fromMs: number; toMs: number }[] = [];
  for (const minuteMs of minutesMs) {
    const last = ranges.at(-1);
    if (last !== undefined && last.toMs === minuteMs) last.toMs = minuteMs + MINUTE_MS;
    else ranges.push({ fromMs: minuteMs, toMs: minuteMs + MINUTE_MS });
  }
  return ranges;
}

const floorMinute = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** For docs and tests: the rollup key, in order. */
export const ROLLUP_KEY = PARTIAL_KEY_COLUMNS;
