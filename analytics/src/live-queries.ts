/**
 * The live view of the QoE API (`GET /api/v1/qoe/live`): the last LIVE_MINUTES minutes read from the
 * raw beacons (beacons_v1), not from views or rollups, so a beacon counts within seconds of reaching
 * ClickHouse (the rollups settle minutes later). SDK beacons only (the origin's CMCD rows are not
 * viewers). Per minute:
 * - concurrent viewers: distinct viewer ids with any beacon other than `viewend` in the minute (a
 *   playing or paused player sends a heartbeat at least every 10 s);
 * - plays: distinct views that sent `playrequest` in the minute;
 * - start failures: distinct views with a fatal error in the minute that have no `firstframe` in the
 *   window (a fatal error before the first frame, as the QoE model counts it, read live).
 * And `concurrentViewers` over the last 60 seconds, for the big number. Beacons are deduplicated by
 * beacon id only through the distinct counts: a beacon stored twice names the same viewer and view.
 */
import type { QoeLiveResponse, SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import type { AnalyticsTarget } from './beacons-table.js';

export const LIVE_MINUTES = 30;

/** Real viewers' beacons carry no `synthetic` (NULL); simulated ones carry true. */
const SCOPE_CONDITION: Record<SyntheticScope, string> = {
  real: 'AND NOT ifNull(synthetic, false)',
  synthetic: 'AND ifNull(synthetic, false)',
  all: '',
};

interface MinuteRow {
  minute_ms: string;
  concurrent_viewers: string;
  plays: string;
  start_failures: string;
}

export async function getLive(
  target: AnalyticsTarget,
  options: { nowMs: number; videoId?: string; synthetic: SyntheticScope },
): Promise<QoeLiveResponse> {
  const currentMinuteMs = Math.floor(options.nowMs / 60_000) * 60_000;
  const fromMs = currentMinuteMs - (LIVE_MINUTES - 1) * 60_000;
  const where = `source = 'sdk'
      AND received_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')
      AND received_at <= fromUnixTimestamp64Milli({nowMs:Int64}, 'UTC')
      ${options.videoId === undefined ? '' : 'AND video_id = {videoId:String}'}
      ${SCOPE_CONDITION[options.synthetic]}`;
  const beacons = `${target.database}.beacons_v1`;
  const result = await target.client.query({
    query: `
      SELECT
        toUnixTimestamp64Milli(toDateTime64(toStartOfMinute(received_at), 3, 'UTC')) AS minute_ms,
        uniqExactIf(viewer_id, event != 'viewend') AS concurrent_viewers,
        uniqExactIf(view_id, event = 'playrequest') AS plays,
        uniqExactIf(view_id, event = 'error' AND ifNull(fatal, false)
          AND view_id NOT IN (SELECT view_id FROM ${beacons} WHERE ${where} AND event = 'firstframe')) AS start_failures,
        uniqExactIf(viewer_id, event != 'viewend'
          AND received_at > fromUnixTimestamp64Milli({lastMinuteMs:Int64}, 'UTC')) AS last_60s
      FROM ${beacons}
      WHERE ${where}
      GROUP BY minute_ms WITH TOTALS
      ORDER BY minute_ms`,
    query_params: {
      fromMs,
      nowMs: options.nowMs,
      lastMinuteMs: options.nowMs - 60_000,
      ...(options.videoId === undefined ? {} : { videoId: options.videoId }),
    },
    format: 'JSON',
  });
  const { data, totals } = (await result.json<MinuteRow & { last_60s: string }>()) as unknown as {
    data: (MinuteRow & { last_60s: string })[];
    totals?: { last_60s: string };
  };
  const byMinute = new Map(data.map((row) => [Number(row.minute_ms), row]));
  return {
    asOf: new Date(options.nowMs).toISOString(),
    videoId: options.videoId ?? null,
    synthetic: options.synthetic,
    concurrentViewers: Number(totals?.last_60s ?? 0),
    minutes: Array.from({ length: LIVE_MINUTES }, (_, i) => {
      const minuteMs = fromMs + i * 60_000;
      const row = byMinute.get(minuteMs);
      return {
        time: new Date(minuteMs).toISOString(),
        concurrentViewers: Number(row?.concurrent_viewers ?? 0),
        plays: Number(row?.plays ?? 0),
        startFailures: Number(row?.start_failures ?? 0),
      };
    }),
  };
}
