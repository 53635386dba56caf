/**
 * The consumer's named output: `beacons_v1` (migrations/001_beacons.sql, 002_beacon_qoe_fields.sql).
 * Steps write through it, never through a raw client handle, so the table, its format and its dedup
 * rule live in one place.
 */
import type { AnalyticsStore, InsertSettings } from '@streamloop/analytics-store/analytics-store';
import {
  encodeNativeBlock,
  type NativeBlock,
  type NativeColumn,
} from '@streamloop/analytics-store/native-block';
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

/** What the consumer writes through: a target that also takes Native blocks. */
export type BeaconsTarget = Pick<AnalyticsStore, 'client' | 'database' | 'insertNative'>;

export interface BeaconsTable {
  /**
   * Inserts `rows` as one block. ClickHouse remembers `dedupToken` (the table keeps the last 1000),
   * so inserting the same rows again under the same token is a no-op: a retried batch lands once.
   */
  insert(rows: readonly CompactBeaconRow[], dedupToken: string): Promise<void>;
}

/**
 * Rows go as ONE Native block (columnar and typed: nothing for the engine to parse, ~3× the rows/s of
 * the same rows as JSONEachRow, bench/results/analytics-ingest.json), in ONE statement with its
 * settings inline, so they hold for that statement on a server and on chdb alike. The block holds
 * the columns some row of the batch has (the table fills in NULL, or `source`'s default, for the
 * rest). Column types are the table's own (DESCRIBE TABLE, once): the migrations stay the one list
 * of columns. Over HTTP the call returns once the insert is done: offsets are committed after it.
 */
export function createBeaconsTable(target: BeaconsTarget): BeaconsTable {
  let columnTypes: Promise<ReadonlyMap<string, string>> | undefined;
  return {
    async insert(rows, dedupToken) {
      if (rows.length === 0) return;
      columnTypes ??= beaconColumnTypes(target).catch((err: unknown) => {
        columnTypes = undefined;
        throw err;
      });
      const block = encodeBeaconRows(rows, await columnTypes);
      await target.insertNative(`${target.database}.${BEACONS_TABLE}`, block, dedupSettings(dedupToken));
    },
  };
}

/** beacons_v1's columns and their types, in table order. */
export async function beaconColumnTypes(target: AnalyticsTarget): Promise<ReadonlyMap<string, string>> {
  const result = await target.client.query({
    query: `DESCRIBE TABLE ${target.database}.${BEACONS_TABLE}`,
    format: 'JSONEachRow',
  });
  const columns = await result.json<{ name: string; type: string }>();
  return new Map(columns.map((c) => [c.name, c.type]));
}

/** The rows as one Native block of the columns any of them has (table order). */
export function encodeBeaconRows(
  rows: readonly CompactBeaconRow[],
  columnTypes: ReadonlyMap<string, string>,
): NativeBlock {
  const present = new Set<string>();
  for (const row of rows) for (const key in row) present.add(key);
  for (const key of present) {
    if (!columnTypes.has(key)) throw new Error(`${BEACONS_TABLE} has no column ${key}`);
  }
  const columns: NativeColumn[] = [];
  for (const [name, type] of columnTypes) if (present.has(name)) columns.push({ name, type });
  return encodeNativeBlock(columns, rows as unknown as readonly Record<string, unknown>[]);
}

function dedupSettings(dedupToken: string): InsertSettings {
  return {
    insert_deduplicate: 1,
    insert_deduplication_token: dedupToken,
    // Materialized views fed from beacons_v1 drop a retried block too (their target tables also
    // need non_replicated_deduplication_window > 0, migrations/008).
    deduplicate_blocks_in_dependent_materialized_views: 1,
  };
}

/**
 * One JSON object per line (JSON.stringify: native, ~3× faster than writing the keys by hand here).
 * A compact row carries no NULLs; a NULL-padded row's `null`s read as NULL, the same as absent.
 * Not the consumer's format any more (Native is): the bench's text baseline uses it.
 */
export function jsonEachRow(rows: readonly CompactBeaconRow[]): string {
  const lines: string[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) lines[i] = JSON.stringify(rows[i]);
  return lines.join('\n');
}

export function toDateTime64Text(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}
