/**
 * Synthetic beacons generated INSIDE ClickHouse (`INSERT ... SELECT ... FROM numbers(n)`): FACTS.md
 * measured JSONEachRow at ~250k rows/s, far too slow for 10 M rows. Each view has BEACONS_PER_VIEW
 * beacons: viewstart, playrequest, firstframe, heartbeats (10 s watched, 9.8 s played, one of four
 * rungs per view) with a stall every 20 beacons, and viewend. Views start every `spacingS` seconds
 * from `startMs`, spread over 1 000 videos, 4 browsers, 10 countries and 2 variants.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';

export const BEACONS_PER_VIEW = 100;

export async function insertSyntheticBeacons(
  store: AnalyticsStore,
  options: {
    beacons: number;
    startMs: number;
    spacingS: number;
    table?: string;
    /** The two variants views alternate between; default 'A', 'B' (ladder_id is 'ladder-' + the variant). */
    variants?: [string, string];
  },
): Promise<void> {
  await store.client.command({
    query: `
      INSERT INTO ${store.database}.${options.table ?? 'beacons_v1'}
        (beacon_id, event, source, session_id, view_id, viewer_id, video_id, seq, client_time_ms, monotonic_ms,
         startup_time_ms, rebuffer_duration_ms, watch_time_ms, play_time_ms, bitrate_kbps, height, variant,
         ladder_id, browser, os, device_class, country, received_at, kafka_partition, kafka_offset)
      SELECT
        concat('b', toString(number)) AS beacon_id,
        multiIf(k = 0, 'viewstart', k = 1, 'playrequest', k = 2, 'firstframe', k = ${BEACONS_PER_VIEW - 1}, 'viewend',
                k % 20 = 5, 'rebufferstart', k % 20 = 6, 'rebufferend', 'heartbeat') AS event,
        'sdk',
        concat('s', toString(v)), concat('v', toString(v)), concat('u', toString(v % 40000)),
        concat('video-', toString(cityHash64(v) % 1000)),
        k, 0, k * 10000,
        if(k = 2, toUInt32(300 + cityHash64(v, 1) % 3000), NULL),
        if(event = 'rebufferend', toUInt32(200 + cityHash64(v, k) % 2000), NULL),
        if(event = 'heartbeat', 10000, NULL),
        if(event = 'heartbeat', 9800, NULL),
        if(event = 'heartbeat', [800, 1500, 3000, 6000][v % 4 + 1], NULL),
        if(event = 'heartbeat', [360, 540, 720, 1080][v % 4 + 1], NULL),
        [{variantA:String}, {variantB:String}][v % 2 + 1], concat('ladder-', [{variantA:String}, {variantB:String}][v % 2 + 1]),
        ['Chrome', 'Safari', 'Firefox', 'Edge'][cityHash64(v, 2) % 4 + 1],
        ['Windows', 'iOS', 'macOS', 'Android'][cityHash64(v, 2) % 4 + 1],
        ['desktop', 'mobile', 'desktop', 'mobile'][cityHash64(v, 2) % 4 + 1],
        ['US', 'DE', 'FR', 'GB', 'BR', 'IN', 'JP', 'CA', 'ES', 'IT'][cityHash64(v, 3) % 10 + 1],
        fromUnixTimestamp64Milli(toInt64({startMs:Int64} + v * {spacingMs:Int64} + k * 10000), 'UTC'),
        0, number
      FROM (
        SELECT number, intDiv(number, ${BEACONS_PER_VIEW}) AS v, number % ${BEACONS_PER_VIEW} AS k
        FROM numbers({beacons:UInt64})
      )`,
    query_params: {
      beacons: options.beacons,
      startMs: options.startMs,
      spacingMs: options.spacingS * 1000,
      variantA: options.variants?.[0] ?? 'A',
      variantB: options.variants?.[1] ?? 'B',
    },
  });
}

/** Stores 1 % of the beacons a second time (a redelivery): every number must stay the same. */
export async function insertDuplicates(store: AnalyticsStore): Promise<void> {
  await store.client.command({
    query: `
      INSERT INTO ${store.database}.beacons_v1
      SELECT * FROM ${store.database}.beacons_v1 WHERE cityHash64(beacon_id) % 100 = 0`,
  });
}
