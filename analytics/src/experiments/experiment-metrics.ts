/**
 * Each experiment metric as the stats package wants it: one (numerator, denominator) per viewer
 * (viewer-metric.ts), or per-viewer values for a quantile. The per-viewer numbers come from the QoE
 * model's view-level SQL (experiment-viewers-query.ts); the definitions match qoe-model.ts, applied
 * to one viewer instead of a whole range:
 *
 * | metric | numerator / denominator per viewer | unit shown |
 * | --- | --- | --- |
 * | rebuffer_ratio | stall ms / watch ms (qoe-model's `rebufferPercent` convention) | fraction |
 * | rebuffer_frequency | rebuffers / watch hours | per hour |
 * | bits_per_viewer_hour | bits played (kbps × ms of the shown rung) / watch hours | bits |
 * | video_start_failure | failed starts / plays | percent |
 * | startup_time_ms | the viewer's mean startup / 1 (viewers with a first frame) | ms |
 * | startup_time_p95_ms | p95 of all views, viewer-clustered interval (quantile.ts) | ms |
 * | bitrate_kbps | kbps × play ms / play ms at a known rung (time-weighted) | kbps |
 * | upscale_percent | upscaled ms / play ms | percent |
 * | watch_time_per_view_ms | watch ms / views | ms |
 * | qoe_score | the viewer's 0–100 score (qoe-score.ts) / 1 (viewers with a play) | score |
 */
import type { ExperimentMetric } from '@streamloop/core/experiments';
import { quantileEstimate } from '@streamloop/experiment-stats/quantile';
import {
  type ArmEstimate,
  armMoments,
  ratioEstimate,
  type ViewerAggregate,
} from '@streamloop/experiment-stats/viewer-metric';
import { qoeScore } from '../qoe-score.js';
import type { ExperimentViewerRow } from './experiment-viewers-query.js';

const HOUR_MS = 3_600_000;

/** The per-viewer pair of a ratio metric, or null when the viewer has no value for it. */
type ViewerPair = (row: ExperimentViewerRow) => ViewerAggregate | null;

const n = (value: string): number => Number(value);
const pair = (numerator: number, denominator: number): ViewerAggregate => ({ numerator, denominator });
const finite = (value: number | null): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

function viewerScore(row: ExperimentViewerRow): number | null {
  const playTimeMs = n(row.play_time_ms);
  const rebufferTimeMs = n(row.rebuffer_time_ms);
  const playedOrStalledMs = playTimeMs + rebufferTimeMs;
  return (
    qoeScore({
      plays: n(row.plays),
      startFailures: n(row.start_failures),
      playbackFailures: n(row.playback_failures),
      startupP50Ms: finite(row.startup_p50_ms),
      rebufferRatio: playedOrStalledMs > 0 ? rebufferTimeMs / playedOrStalledMs : null,
      upscaleTimeMs: n(row.upscale_time_ms),
      playTimeMs,
    })?.score ?? null
  );
}

/** How each metric but the p95 reduces a viewer, and the factor from the ratio to the unit shown. */
const RATIO_METRICS: Record<
  Exclude<ExperimentMetric, 'startup_time_p95_ms'>,
  { viewer: ViewerPair; scale: number }
> = {
  rebuffer_ratio: { viewer: (r) => pair(n(r.rebuffer_time_ms), n(r.watch_time_ms)), scale: 1 },
  rebuffer_frequency: {
    viewer: (r) => pair(n(r.rebuffer_count), n(r.watch_time_ms) / HOUR_MS),
    scale: 1,
  },
  bits_per_viewer_hour: {
    viewer: (r) => pair(n(r.bitrate_kbps_x_play_ms), n(r.watch_time_ms) / HOUR_MS),
    scale: 1,
  },
  video_start_failure: { viewer: (r) => pair(n(r.start_failures), n(r.plays)), scale: 100 },
  startup_time_ms: {
    viewer: (r) => {
      const times = r.startup_times_ms;
      return times.length === 0 ? null : pair(times.reduce((a, b) => a + b, 0) / times.length, 1);
    },
    scale: 1,
  },
  bitrate_kbps: { viewer: (r) => pair(n(r.bitrate_kbps_x_play_ms), n(r.bitrate_play_time_ms)), scale: 1 },
  upscale_percent: { viewer: (r) => pair(n(r.upscale_time_ms), n(r.play_time_ms)), scale: 100 },
  watch_time_per_view_ms: { viewer: (r) => pair(n(r.watch_time_ms), n(r.views)), scale: 1 },
  qoe_score: {
    viewer: (r) => {
      const score = viewerScore(r);
      return score === null ? null : pair(score, 1);
    },
    scale: 1,
  },
};

/**
 * A metric's estimate in one arm (value and variance in the unit shown), or null when fewer than two
 * viewers have a value or nothing was measured (no watch time, no first frame...).
 */
export function armEstimate(
  metric: ExperimentMetric,
  viewers: readonly ExperimentViewerRow[],
): ArmEstimate | null {
  if (metric === 'startup_time_p95_ms') {
    const values = viewers.map((r) => r.startup_times_ms).filter((times) => times.length > 0);
    return values.length < 2 ? null : quantileEstimate(values, 0.95);
  }
  const { viewer, scale } = RATIO_METRICS[metric];
  const pairs = viewers.map(viewer).filter((p): p is ViewerAggregate => p !== null);
  const moments = armMoments(pairs, metric);
  if (moments.viewers < 2 || !(moments.sumDenominator > 0)) return null;
  const estimate = ratioEstimate(moments, metric);
  return {
    value: estimate.value * scale,
    variance: estimate.variance * scale * scale,
    viewers: estimate.viewers,
  };
}
