/**
 * Named QoE queries over `beacons_v1`. Each is one function with its row type and `{name:Type}`
 * parameters; values are bound by the engine, only identifiers from code are interpolated.
 *
 * Every aggregate reads the beacons through `LIMIT 1 BY beacon_id`, so a beacon stored twice (a batch
 * redelivered with other boundaries, a client resending) counts once, whatever the merges did.
 * Time ranges are on `received_at`, the collector's clock; the client's clock is not trusted.
 * Player QoE reads the SDK's beacons only (`source = 'sdk'`), never the origin's CMCD beacons.
 */
import { type AnalyticsTarget, BEACONS_TABLE } from './beacons-table.js';

export interface OverviewParams {
  videoId: string;
  /** Inclusive, ms since the epoch. */
  fromMs: number;
  /** Exclusive, ms since the epoch. */
  toMs: number;
}

export interface Overview {
  /** Views that asked to play (a `playrequest` or a `firstframe`): distinct view ids. */
  plays: number;
  /** Distinct viewer ids among those plays. */
  viewers: number;
  /** Play request to first frame, over `firstframe` beacons; linear interpolation between ranks. Null without samples. */
  startupTimeMs: { p50: number | null; p95: number | null };
  /**
   * Time stalled over time the viewer waited for or watched content, CTA-2066 style:
   * rebufferTimeMs / (playTimeMs + rebufferTimeMs), the CTA-2066 convention (docs/metrics.md). 0.02 = 2 %.
   * Null when nothing was watched.
   * A stall still going on when the page closed has no `rebufferend` and is not counted.
   */
  rebufferRatio: number | null;
  /** Stalls started (`rebufferstart` beacons). */
  rebufferCount: number;
  /** Sum of `rebufferDurationMs` of `rebufferend` beacons. */
  rebufferTimeMs: number;
  /** Sum of `watchTimeMs` (heartbeats and the final beacon of a view): time spent playing. */
  watchTimeMs: number;
  /** `error` beacons. */
  errors: number;
}

/** What ClickHouse returns: 64-bit counts arrive as strings (SESSION_SETTINGS quote them). */
interface OverviewRow {
  plays: string;
  viewers: string;
  /** [p50, p95] */
  startup_ms: [number | null, number | null];
  rebuffer_count: string;
  rebuffer_time_ms: string | null;
  play_time_ms: string | null;
  watch_time_ms: string | null;
  errors: string;
}

export async function getOverview(target: AnalyticsTarget, params: OverviewParams): Promise<Overview> {
  const result = await target.client.query({
    query: `
      SELECT
        uniqExactIf(view_id, event IN ('playrequest', 'firstframe')) AS plays,
        uniqExactIf(viewer_id, event IN ('playrequest', 'firstframe')) AS viewers,
        quantilesExactInclusiveIf(0.5, 0.95)(startup_time_ms, event = 'firstframe') AS startup_ms,
        countIf(event = 'rebufferstart') AS rebuffer_count,
        sumIf(rebuffer_duration_ms, event = 'rebufferend') AS rebuffer_time_ms,
        sum(watch_time_ms) AS watch_time_ms,
        sum(play_time_ms) AS play_time_ms,
        countIf(event = 'error') AS errors
      FROM (
        SELECT event, view_id, viewer_id, startup_time_ms, rebuffer_duration_ms, watch_time_ms, play_time_ms
        FROM ${target.database}.${BEACONS_TABLE}
        WHERE video_id = {videoId:String}
          -- The player's own beacons: the origin's CMCD beacons describe requests, not plays.
          AND source = 'sdk'
          AND received_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
          AND received_at < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
        LIMIT 1 BY beacon_id
      )`,
    query_params: { ...params },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<OverviewRow>();
  if (row === undefined) throw new Error('the overview query returned no row');
  const rebufferTimeMs = Number(row.rebuffer_time_ms ?? 0);
  const watchTimeMs = Number(row.watch_time_ms ?? 0);
  // CTA-2066: stall / (stall + play). The SDK's watchTimeMs already includes stalls, so play time is
  // its playTimeMs; beacons without it (older SDKs) fall back to watch time minus stalls.
  const playTimeMs =
    row.play_time_ms === null ? Math.max(watchTimeMs - rebufferTimeMs, 0) : Number(row.play_time_ms);
  const watchedOrWaitedMs = playTimeMs + rebufferTimeMs;
  return {
    plays: Number(row.plays),
    viewers: Number(row.viewers),
    startupTimeMs: { p50: finiteOrNull(row.startup_ms[0]), p95: finiteOrNull(row.startup_ms[1]) },
    rebufferRatio: watchedOrWaitedMs > 0 ? rebufferTimeMs / watchedOrWaitedMs : null,
    rebufferCount: Number(row.rebuffer_count),
    rebufferTimeMs,
    watchTimeMs,
    errors: Number(row.errors),
  };
}

// An empty quantile is NULL on a Nullable column, NaN on a plain one: neither is a number to show.
function finiteOrNull(value: number | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
