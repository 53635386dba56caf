/**
 * The consumer's named output: `beacons_v1` (migrations/001_beacons.sql, 002_beacon_qoe_fields.sql).
 * Steps write through it, never through a raw client handle, so the table, its format and its dedup
 * rule live in one place.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import type { OptionalColumn } from './beacon-columns.js';

export const BEACONS_TABLE = 'beacons_v1';

/** The columns every row of beacons_v1 has a value for. */
interface BeaconRowBase {
  beacon_id: string;
  event: string;
  /** 'sdk' or 'cmcd' (migrations/002). */
  source: string;
  session_id: string;
  view_id: string;
  viewer_id: string;
  video_id: string;
  seq: number;
  client_time_ms: number;
  monotonic_ms: number;
  /** 'YYYY-MM-DD hh:mm:ss.sss' in UTC: the text form DateTime64(3, 'UTC') parses without settings. */
  received_at: string;
  kafka_partition: number;
  /** Decimal string: Kafka offsets are 64-bit. */
  kafka_offset: string;
}

/** One row of beacons_v1 with every optional column, NULL where the beacon has no value. */
export interface BeaconRow extends BeaconRowBase, Record<OptionalColumn, string | number | boolean | null> {}

/** The same row holding only the optional columns that have a value (what the consumer writes). */
export interface CompactBeaconRow
  extends BeaconRowBase,
    Partial<Record<OptionalColumn, string | number | boolean | null>> {}

export type AnalyticsTarget = Pick<AnalyticsStore, 'client' | 'database'>;

export interface BeaconsTable {
  /**
   * Inserts `rows` as one block. ClickHouse remembers `dedupToken` (the table keeps the last 1000),
   * so inserting the same rows again under the same token is a no-op: a retried batch lands once.
   */
  insert(rows: readonly CompactBeaconRow[], dedupToken: string): Promise<void>;
}

/**
 * Rows go as ONE JSONEachRow statement with its settings inline (`INSERT … SETTINGS … FORMAT`):
 * the same text to a server over HTTP and to chdb, where inline settings stay with the statement
 * (per-call settings would need a session of their own, see analytics-store). The consumer's rows
 * are compact (absent columns left out, the table fills in NULL): a heartbeat's line is ~0.4 KB
 * instead of ~1.6 KB, so ClickHouse parses a quarter of the bytes (bench/results/analytics-ingest.json).
 * Over HTTP the body is the statement and the call returns once the insert is done: the offsets are
 * committed after it, as before.
 */
export function createBeaconsTable(target: AnalyticsTarget): BeaconsTable {
  return {
    async insert(rows, dedupToken) {
      if (rows.length === 0) return;
      await target.client.command({
        query:
          `INSERT INTO ${target.database}.${BEACONS_TABLE} SETTINGS ${dedupSettings(dedupToken)} ` +
          `FORMAT JSONEachRow\n${jsonEachRow(rows)}`,
      });
    },
  };
}

function dedupSettings(dedupToken: string): string {
  return [
    'insert_deduplicate = 1',
    `insert_deduplication_token = ${sqlString(dedupToken)}`,
    // Materialized views fed from beacons_v1 drop a retried block too (their target tables also
    // need non_replicated_deduplication_window > 0; pinned in analytics-store's contract test).
    'deduplicate_blocks_in_dependent_materialized_views = 1',
  ].join(', ');
}

function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * One JSON object per line (JSON.stringify: native, ~3× faster than writing the keys by hand here).
 * A compact row carries no NULLs; a NULL-padded row's `null`s read as NULL, the same as absent.
 */
export function jsonEachRow(rows: readonly CompactBeaconRow[]): string {
  const lines: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) lines[i] = JSON.stringify(rows[i]);
  return lines.join('\n');
}

export function toDateTime64Text(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}
