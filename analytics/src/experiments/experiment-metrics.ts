/**
 * Each experiment metric as the stats package wants it: one (numerator, denominator) per viewer
 * (viewer-metric.ts), or per-viewer values for a quantile. The per-viewer numbers come from the QoE
 * model's view-level SQL (experiment-viewers-query.ts); the definitions match qoe-model.ts, applied
 * to one viewer instead of a whole range:
 *
 * | metric | numerator / denominator per viewer | unit shown |
 * | --- | --- | --- |
 * | rebuffer_ratio | stall ms / watch ms (qoe-model's `rebufferPercent` convention) | fraction |
 * | rebuffer_ratio_cta2066 | stall ms / (play ms + stall ms) (CTA-2066, qoe-model's `rebufferRatio`) | fraction |
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
import { StatsInputError } from '@streamloop/experiment-stats/errors';
import { quantileEstimate } from '@streamloop/experiment-stats/quantile';
import {
  type ArmEstimate,
  type ArmMoments,
  ratioEstimate,
  type ViewerAggregate,
} from '@streamloop/experiment-stats/viewer-metric';
import { qoeScore } from '../qoe-score.js';
import type { SummedColumn } from './experiment-viewers-query.js';

const HOUR_MS = 3_600_000;

/** One viewer in one arm, their numbers summed up to a look (experiment-viewer-looks.ts). */
export type ExperimentViewer = Record<SummedColumn, number> & {
  viewer_id: string;
  synthetic_views: number;
  /** The startup time of each view that reached a first frame (in no particular order). */
  startup_times_ms: number[];
  /** Median of those (null without any), the QoE score's startup input. */
  startup_p50_ms: number | null;
  /**
   * Each ratio metric's numerator and denominator, worked out once (`viewerPairs`): metric i of
   * RATIO_METRIC_NAMES at [2i, 2i + 1], NaN where the viewer has no value for it.
   */
  pairs: Float64Array;
};
type RatioMetric = Exclude<ExperimentMetric, 'startup_time_p95_ms'>;

/** The per-viewer pair of a ratio metric, or null when the viewer has no value for it. */
type ViewerPair = (row: Omit<ExperimentViewer, 'pairs'>) => ViewerAggregate | null;

const pair = (numerator: number, denominator: number): ViewerAggregate => ({ numerator, denominator });

function viewerScore(row: Omit<ExperimentViewer, 'pairs'>): number | null {
  const playTimeMs = row.play_time_ms;
  const rebufferTimeMs = row.rebuffer_time_ms;
  const playedOrStalledMs = playTimeMs + rebufferTimeMs;
  return (
    qoeScore({
      plays: row.plays,
      startFailures: row.start_failures,
      playbackFailures: row.playback_failures,
      startupP50Ms: row.startup_p50_ms,
      rebufferRatio: playedOrStalledMs > 0 ? rebufferTimeMs / playedOrStalledMs : null,
      upscaleTimeMs: row.upscale_time_ms,
      playTimeMs,
    })?.score ?? null
  );
}

/** How each metric but the p95 reduces a viewer, and the factor from the ratio to the unit shown. */
const RATIO_METRICS: Record<RatioMetric, { viewer: ViewerPair; scale: number }> = {
  rebuffer_ratio: { viewer: (r) => pair(r.rebuffer_time_ms, r.watch_time_ms), scale: 1 },
  rebuffer_ratio_cta2066: {
    viewer: (r) => pair(r.rebuffer_time_ms, r.play_time_ms + r.rebuffer_time_ms),
    scale: 1,
  },
  rebuffer_frequency: {
    viewer: (r) => pair(r.rebuffer_count, r.watch_time_ms / HOUR_MS),
    scale: 1,
  },
  bits_per_viewer_hour: {
    viewer: (r) => pair(r.bitrate_kbps_x_play_ms, r.watch_time_ms / HOUR_MS),
    scale: 1,
  },
  video_start_failure: { viewer: (r) => pair(r.start_failures, r.plays), scale: 100 },
  startup_time_ms: {
    viewer: (r) => {
      const times = r.startup_times_ms;
      return times.length === 0 ? null : pair(times.reduce((a, b) => a + b, 0) / times.length, 1);
    },
    scale: 1,
  },
  bitrate_kbps: { viewer: (r) => pair(r.bitrate_kbps_x_play_ms, r.bitrate_play_time_ms), scale: 1 },
  upscale_percent: { viewer: (r) => pair(r.upscale_time_ms, r.play_time_ms), scale: 100 },
  watch_time_per_view_ms: { viewer: (r) => pair(r.watch_time_ms, r.views), scale: 1 },
  qoe_score: {
    viewer: (r) => {
      const score = viewerScore(r);
      return score === null ? null : pair(score, 1);
    },
    scale: 1,
  },
};

const RATIO_METRIC_NAMES = Object.keys(RATIO_METRICS) as RatioMetric[];

/** Every ratio metric's pair for one viewer, packed (see `ExperimentViewer.pairs`). */
export function viewerPairs(viewer: Omit<ExperimentViewer, 'pairs'>): Float64Array {
  const pairs = new Float64Array(RATIO_METRIC_NAMES.length * 2).fill(Number.NaN);
  RATIO_METRIC_NAMES.forEach((metric, i) => {
    const pair = RATIO_METRICS[metric].viewer(viewer);
    if (pair === null) return;
    if (!Number.isFinite(pair.numerator) || !Number.isFinite(pair.denominator) || pair.denominator < 0)
      throw new StatsInputError(`${metric} of viewer ${viewer.viewer_id}`, 'must be finite, denominator ≥ 0');
    pairs[2 * i] = pair.numerator;
    pairs[2 * i + 1] = pair.denominator;
  });
  return pairs;
}

const MOMENTS = 6;

/**
 * Every metric's estimate in one arm (value and variance in the unit shown), null where fewer than two
 * viewers have a value or nothing was measured (no watch time, no first frame...). One pass over the
 * viewers sums the delta method's moments (viewer-metric.ts `armMoments`) of every ratio metric at once.
 */
export function armEstimates(
  viewers: readonly ExperimentViewer[],
): Record<ExperimentMetric, ArmEstimate | null> {
  const sums = new Float64Array(RATIO_METRIC_NAMES.length * MOMENTS);
  for (const viewer of viewers) {
    const pairs = viewer.pairs;
    for (let i = 0, o = 0; i < RATIO_METRIC_NAMES.length; i++, o += MOMENTS) {
      const x = pairs[2 * i] as number;
      if (Number.isNaN(x)) continue;
      const y = pairs[2 * i + 1] as number;
      sums[o] = (sums[o] as number) + 1;
      sums[o + 1] = (sums[o + 1] as number) + x;
      sums[o + 2] = (sums[o + 2] as number) + y;
      sums[o + 3] = (sums[o + 3] as number) + x * x;
      sums[o + 4] = (sums[o + 4] as number) + y * y;
      sums[o + 5] = (sums[o + 5] as number) + x * y;
    }
  }
  const estimates = {} as Record<ExperimentMetric, ArmEstimate | null>;
  RATIO_METRIC_NAMES.forEach((metric, i) => {
    const o = i * MOMENTS;
    const moments: ArmMoments = {
      viewers: sums[o] as number,
      sumNumerator: sums[o + 1] as number,
      sumDenominator: sums[o + 2] as number,
      sumNumeratorSquared: sums[o + 3] as number,
      sumDenominatorSquared: sums[o + 4] as number,
      sumProduct: sums[o + 5] as number,
    };
    if (moments.viewers < 2 || !(moments.sumDenominator > 0)) {
      estimates[metric] = null;
      return;
    }
    const { scale } = RATIO_METRICS[metric];
    const estimate = ratioEstimate(moments, metric);
    estimates[metric] = {
      value: estimate.value * scale,
      variance: estimate.variance * scale * scale,
      viewers: estimate.viewers,
    };
  });
  const startups = viewers.map((r) => r.startup_times_ms).filter((times) => times.length > 0);
  estimates.startup_time_p95_ms = startups.length < 2 ? null : quantileEstimate(startups, 0.95);
  return estimates;
}
