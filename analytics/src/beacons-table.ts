/**
 * The consumer's named output: `beacons_v1` (migrations/001_beacons.sql, 002_beacon_qoe_fields.sql).
 * Steps write through it, never through a raw client handle, so the table, its format and its dedup
 * rule live in one place.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import type { OptionalColumn } from './beacon-columns.js';

export const BEACONS_TABLE = 'beacons_v1';

/** One row of beacons_v1 as JSONEachRow takes it. */
export interface BeaconRow extends Record<OptionalColumn, string | number | boolean | null> {
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

export type AnalyticsTarget = Pick<AnalyticsStore, 'client' | 'database'>;

export interface BeaconsTable {
  /**
   * Inserts `rows` as one block. ClickHouse remembers `dedupToken` (the table keeps the last 1000),
   * so inserting the same rows again under the same token is a no-op: a retried batch lands once.
   */
  insert(rows: BeaconRow[], dedupToken: string): Promise<void>;
}

export function createBeaconsTable(target: AnalyticsTarget): BeaconsTable {
  return {
    async insert(rows, dedupToken) {
      await target.client.insert({
        table: `${target.database}.${BEACONS_TABLE}`,
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: {
          insert_deduplicate: 1,
          insert_deduplication_token: dedupToken,
          // Materialized views fed from beacons_v1 drop a retried block too (their target tables also
          // need non_replicated_deduplication_window > 0; pinned in analytics-store's contract test).
          deduplicate_blocks_in_dependent_materialized_views: 1,
        },
      });
    },
  };
}

export function toDateTime64Text(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}
