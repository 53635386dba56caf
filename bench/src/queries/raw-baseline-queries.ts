/**
 * The baseline: the same QoE numbers computed straight from the raw table, no view-level table and no
 * rollups — deduplicated on beacon_id, grouped into views, then aggregated. It computes a SUBSET of
 * what the API returns (plays, viewers, startup quantiles, stalls, watch and play time), so the
 * comparison flatters the baseline, not the rollups.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';

export type RawGrouping = { kind: 'total' } | { kind: 'hour' } | { kind: 'browser' };

export interface RawRow {
  key: string;
  views: string;
  plays: string;
  viewers: string;
  startup_time_ms: number[];
  rebuffer_count: string;
  rebuffer_time_ms: string;
  watch_time_ms: string;
  play_time_ms: string;
}

const KEYS: Record<RawGrouping['kind'], string> = {
  total: "''",
  hour: 'toString(toStartOfHour(started_at))',
  browser: "ifNull(browser, '')",
};

export async function rawQoe(
  store: AnalyticsStore,
  range: { fromMs: number; toMs: number; videoId?: string },
  grouping: RawGrouping,
): Promise<RawRow[]> {
  const videoFilter = range.videoId === undefined ? '' : 'AND video_id = {videoId:String}';
  const result = await store.client.query({
    query: `
      SELECT ${KEYS[grouping.kind]} AS key,
        count() AS views,
        countIf(requested) AS plays,
        uniqExactIf(viewer_id, requested) AS viewers,
        quantilesExactInclusive(0.5, 0.9, 0.95)(startup_time_ms) AS startup_time_ms,
        sum(rebuffer_count) AS rebuffer_count,
        sum(rebuffer_time_ms) AS rebuffer_time_ms,
        sum(watch_time_ms) AS watch_time_ms,
        sum(play_time_ms) AS play_time_ms
      FROM (
        SELECT video_id, view_id, any(viewer_id) AS viewer_id, any(browser) AS browser,
          min(received_at) AS started_at,
          countIf(event IN ('playrequest', 'firstframe')) > 0 AS requested,
          minIf(startup_time_ms, event = 'firstframe') AS startup_time_ms,
          countIf(event = 'rebufferstart') AS rebuffer_count,
          sumIf(rebuffer_duration_ms, event = 'rebufferend') AS rebuffer_time_ms,
          sum(watch_time_ms) AS watch_time_ms,
          sum(play_time_ms) AS play_time_ms
        FROM (
          SELECT * FROM ${store.database}.beacons_v1
          WHERE source = 'sdk' ${videoFilter}
            AND received_at >= fromUnixTimestamp64Milli({fromMs:Int64} - 86400000, 'UTC')
          LIMIT 1 BY beacon_id
        )
        GROUP BY video_id, view_id
        HAVING started_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
          AND started_at < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
      )
      GROUP BY key
      ORDER BY key`,
    query_params: range,
    format: 'JSONEachRow',
  });
  return result.json<RawRow>();
}
