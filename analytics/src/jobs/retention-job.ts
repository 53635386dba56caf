/**
 * Data retention: drops whole day partitions older than the retention of each table. Raw beacons and
 * the view-level table (large, per beacon) keep `rawDays`; the per-minute rollups keep `rollupDays`,
 * so long-range dashboards outlive the raw data. Dropping a partition that is already gone is a
 * no-op, so the job is idempotent and safe to run twice.
 */
import type { AnalyticsTarget } from '../beacons-table.js';
import { BEACONS_TABLE } from '../beacons-table.js';
import { MINUTE_ROLLUP_TABLE, RENDITION_ROLLUP_TABLE } from '../qoe-sources.js';

export interface RetentionOptions {
  nowMs: number;
  rawDays: number;
  rollupDays: number;
}

export const DEFAULT_RAW_RETENTION_DAYS = 90;
export const DEFAULT_ROLLUP_RETENTION_DAYS = 400;
/** All four tables are PARTITION BY toYYYYMMDD(...): partition ids are 'YYYYMMDD'. */
const DAY_PARTITION_ID = /^\d{8}$/;
const DAY_MS = 24 * 3600 * 1000;

export async function runRetention(
  target: AnalyticsTarget,
  options: RetentionOptions,
): Promise<{ dropped: { table: string; partition: string }[] }> {
  for (const days of [options.rawDays, options.rollupDays]) {
    if (!Number.isInteger(days) || days < 1)
      throw new RangeError(`retention must be ≥ 1 whole day, not ${days}`);
  }
  const dropped: { table: string; partition: string }[] = [];
  const plan = [
    [BEACONS_TABLE, options.rawDays],
    ['views_v1', options.rawDays],
    [MINUTE_ROLLUP_TABLE, options.rollupDays],
    [RENDITION_ROLLUP_TABLE, options.rollupDays],
  ] as const;
  for (const [table, days] of plan) {
    // Partitions strictly before the cutoff day hold only data older than `days` days.
    const cutoff = new Date(options.nowMs - days * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
    for (const partition of await partitionsBefore(target, table, cutoff)) {
      // Not a bindable position: the id comes from system.parts and must look like a day.
      if (!DAY_PARTITION_ID.test(partition)) continue;
      await target.client.command({
        query: `ALTER TABLE ${target.database}.${table} DROP PARTITION ID '${partition}'`,
      });
      dropped.push({ table, partition });
    }
  }
  return { dropped };
}

async function partitionsBefore(target: AnalyticsTarget, table: string, cutoff: string): Promise<string[]> {
  const result = await target.client.query({
    query: `
      SELECT DISTINCT partition_id FROM system.parts
      WHERE database = {database:String} AND table = {table:String} AND active AND partition_id < {cutoff:String}
      ORDER BY partition_id`,
    query_params: { database: target.database, table, cutoff },
    format: 'JSONEachRow',
  });
  return (await result.json<{ partition_id: string }>()).map((row) => row.partition_id);
}
