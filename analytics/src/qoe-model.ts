/**
 * The QoE model: totals summed over views (qoe-view-sql.ts) → the numbers the API shows. Ratios are
 * computed here, from the sums, so that every grouping (overview, time bucket, dimension value) uses
 * the same formulas (docs/metrics.md, "QoE model").
 */
import type { QoeMetrics } from '@streamloop/core/schemas/qoe-api';
import { qoeScore } from './qoe-score.js';

/** One row of TOTALS_SELECT as ClickHouse returns it: 64-bit sums arrive as strings. */
export interface TotalsRow {
  views: string;
  plays: string;
  started_views: string;
  start_failures: string;
  exits_before_start: string;
  playback_failures: string;
  viewers: string;
  /** [p50, p90, p95]; NULL or NaN without samples. */
  startup_time_ms: (number | null)[];
  error_count: string;
  rebuffer_count: string;
  rebuffer_time_ms: string;
  seek_count: string;
  seek_time_ms: string;
  watch_time_ms: string;
  play_time_ms: string;
  pause_time_ms: string;
  upscale_time_ms: string;
  bitrate_kbps_x_play_ms: string;
  bitrate_play_time_ms: string;
}

const MINUTE_MS = 60_000;

/** part ÷ whole, null when there is no whole (the metrics' and the rungs' ratios). */
export const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
/** part ÷ whole × 100 to 4 places, null when there is no whole. */
export const percent = (part: number, whole: number): number | null =>
  whole > 0 ? round((part / whole) * 100, 4) : null;
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

export function toQoeMetrics(row: TotalsRow | undefined): QoeMetrics {
  const n = (key: Exclude<keyof TotalsRow, 'startup_time_ms'>): number => Number(row?.[key] ?? 0);
  const [p50, p90, p95] = row?.startup_time_ms ?? [];
  const plays = n('plays');
  const watchTimeMs = n('watch_time_ms');
  const playTimeMs = n('play_time_ms');
  const rebufferTimeMs = n('rebuffer_time_ms');
  const rebufferCount = n('rebuffer_count');
  const playedOrStalledMs = playTimeMs + rebufferTimeMs;
  const rebufferRatio = ratio(rebufferTimeMs, playedOrStalledMs);
  const startupP50 = finiteOrNull(p50);
  const score = qoeScore({
    plays,
    startFailures: n('start_failures'),
    playbackFailures: n('playback_failures'),
    startupP50Ms: startupP50,
    rebufferRatio,
    upscaleTimeMs: n('upscale_time_ms'),
    playTimeMs,
  });
  const averageBitrate = ratio(n('bitrate_kbps_x_play_ms'), n('bitrate_play_time_ms'));
  const seekLatency = ratio(n('seek_time_ms'), n('seek_count'));
  return {
    views: n('views'),
    plays,
    viewers: n('viewers'),
    watchTimeMs,
    playTimeMs,
    pauseTimeMs: n('pause_time_ms'),
    startupTimeMs: { p50: startupP50, p90: finiteOrNull(p90), p95: finiteOrNull(p95) },
    videoStartFailurePercent: percent(n('start_failures'), plays),
    exitBeforeVideoStartPercent: percent(n('exits_before_start'), plays),
    playbackFailurePercent: percent(n('playback_failures'), plays),
    errors: n('error_count'),
    rebufferCount,
    rebufferTimeMs,
    rebufferPercent: percent(rebufferTimeMs, watchTimeMs),
    rebufferFrequencyPerMinute: watchTimeMs > 0 ? round(rebufferCount / (watchTimeMs / MINUTE_MS), 4) : null,
    rebufferRatio,
    rebufferPercentCta2066: percent(rebufferTimeMs, playedOrStalledMs),
    rebufferFrequencyPerMinuteCta2066:
      playedOrStalledMs > 0 ? round(rebufferCount / (playedOrStalledMs / MINUTE_MS), 4) : null,
    seekCount: n('seek_count'),
    seekLatencyMsAvg: seekLatency === null ? null : round(seekLatency, 2),
    averageBitrateKbps: averageBitrate === null ? null : round(averageBitrate, 2),
    upscalePercent: percent(n('upscale_time_ms'), playTimeMs),
    qoeScore: score?.score ?? null,
    qoeScoreComponents:
      score === null
        ? null
        : {
            startup: round(score.startup, 4),
            smoothness: round(score.smoothness, 4),
            reliability: round(score.reliability, 4),
            quality: round(score.quality, 4),
          },
  };
}

// An empty quantile is NULL on a Nullable column, NaN on a plain one: neither is a number to show.
export function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
