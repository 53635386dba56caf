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
import { ExperimentMetric } from '@streamloop/core/experiments';
import { StatsInputError } from '@streamloop/experiment-stats/errors';
import {
  type ArmEstimate,
  type ArmMoments,
  ratioEstimate,
  type ViewerAggregate,
} from '@streamloop/experiment-stats/viewer-metric';
import { qoeScore } from '../qoe-score.js';
import { SUMMED_COLUMNS, type SummedColumn } from './experiment-viewers-query.js';

const HOUR_MS = 3_600_000;
/** Every metric, in the contract's order. */
export const EXPERIMENT_METRICS = ExperimentMetric.anyOf.map(
  (literal) => literal.const,
) as ExperimentMetric[];

/** One viewer in one arm, their numbers summed up to a look (experiment-arm-looks.ts). */
export type ExperimentViewer = Record<SummedColumn, number> & {
  viewer_id: string;
  /** The startup time of each view that reached a first frame (in no particular order). */
  startup_times_ms: readonly number[];
  /** Median of those (null without any), the QoE score's startup input. */
  startup_p50_ms: number | null;
};
export type RatioMetric = Exclude<ExperimentMetric, 'startup_time_p95_ms'>;

const COLUMN = Object.fromEntries(SUMMED_COLUMNS.map((column, i) => [column, i])) as Record<
  SummedColumn,
  number
>;

/**
 * A viewer from their totals kept column by column, SUMMED_COLUMNS' order from `at` in `sums`. Every
 * field by name: a loop over the names would make each a dynamic property, slow on every row.
 */
export function viewerFromSums(
  viewerId: string,
  sums: Float64Array,
  at: number,
  startupTimesMs: readonly number[],
  startupP50Ms: number | null,
): ExperimentViewer {
  const sum = (column: SummedColumn): number => sums[at + COLUMN[column]] as number;
  return {
    viewer_id: viewerId,
    views: sum('views'),
    plays: sum('plays'),
    started_views: sum('started_views'),
    start_failures: sum('start_failures'),
    playback_failures: sum('playback_failures'),
    rebuffer_count: sum('rebuffer_count'),
    rebuffer_time_ms: sum('rebuffer_time_ms'),
    watch_time_ms: sum('watch_time_ms'),
    play_time_ms: sum('play_time_ms'),
    upscale_time_ms: sum('upscale_time_ms'),
    bitrate_kbps_x_play_ms: sum('bitrate_kbps_x_play_ms'),
    bitrate_play_time_ms: sum('bitrate_play_time_ms'),
    startup_times_ms: startupTimesMs,
    startup_p50_ms: startupP50Ms,
  };
}

/** The per-viewer pair of a ratio metric, or null when the viewer has no value for it. */
type ViewerPair = (row: ExperimentViewer) => ViewerAggregate | null;

const pair = (numerator: number, denominator: number): ViewerAggregate => ({ numerator, denominator });

function viewerScore(row: ExperimentViewer): number | null {
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
const RATIO_VIEWER = RATIO_METRIC_NAMES.map((metric) => RATIO_METRICS[metric].viewer);
/** How many numbers `viewerPairs` writes per viewer. */
export const PAIRS_WIDTH = RATIO_METRIC_NAMES.length * 2;

/**
 * Every ratio metric's (numerator, denominator) for one viewer, into `out` from `at`: metric i of
 * RATIO_METRIC_NAMES at [at + 2i, at + 2i + 1], NaN where the viewer has no value for it. Runs once
 * per viewer and step, so it writes into the caller's array: a Float64Array per call would cost more
 * than the arithmetic.
 */
export function viewerPairs(viewer: ExperimentViewer, out: Float64Array, at: number): void {
  for (let i = 0; i < RATIO_VIEWER.length; i++) {
    const pair = (RATIO_VIEWER[i] as ViewerPair)(viewer);
    if (pair === null) {
      out[at + 2 * i] = Number.NaN;
      out[at + 2 * i + 1] = Number.NaN;
      continue;
    }
    if (!Number.isFinite(pair.numerator) || !Number.isFinite(pair.denominator) || pair.denominator < 0)
      throw new StatsInputError(
        `${RATIO_METRIC_NAMES[i]} of viewer ${viewer.viewer_id}`,
        'must be finite, denominator ≥ 0',
      );
    out[at + 2 * i] = pair.numerator;
    out[at + 2 * i + 1] = pair.denominator;
  }
}

const MOMENTS = 6;

/** Every ratio metric's estimate, from `RatioMoments`; the p95 is the caller's (cumulativeQuantileEstimates). */
export type RatioEstimates = Record<RatioMetric, ArmEstimate | null>;

/**
 * The delta method's moments (viewer-metric.ts `ArmMoments`) of every ratio metric over one arm's
 * viewers, kept up to date as viewers come and their totals grow: `add` a viewer's pairs, `remove`
 * the pairs a viewer had before their totals changed. One Float64Array; no pass over every viewer.
 */
export class RatioMoments {
  readonly #sums = new Float64Array(RATIO_METRIC_NAMES.length * MOMENTS);

  /** Adds the viewer whose pairs (`viewerPairs`) start at `at` in `pairs`. */
  add(pairs: Float64Array, at: number): void {
    this.#apply(pairs, at, 1);
  }

  /** Takes out a viewer added before, by the same pairs. */
  remove(pairs: Float64Array, at: number): void {
    this.#apply(pairs, at, -1);
  }

  #apply(pairs: Float64Array, at: number, sign: 1 | -1): void {
    const sums = this.#sums;
    for (let i = 0, o = 0; i < RATIO_METRIC_NAMES.length; i++, o += MOMENTS) {
      const x = pairs[at + 2 * i] as number;
      if (Number.isNaN(x)) continue;
      const y = pairs[at + 2 * i + 1] as number;
      sums[o] = (sums[o] as number) + sign;
      sums[o + 1] = (sums[o + 1] as number) + sign * x;
      sums[o + 2] = (sums[o + 2] as number) + sign * y;
      sums[o + 3] = (sums[o + 3] as number) + sign * x * x;
      sums[o + 4] = (sums[o + 4] as number) + sign * y * y;
      sums[o + 5] = (sums[o + 5] as number) + sign * x * y;
    }
  }

  /**
   * Each metric's value and variance in the unit shown, null where fewer than two viewers have a
   * value or nothing was measured (no watch time, no first frame...).
   */
  estimates(): RatioEstimates {
    const sums = this.#sums;
    const estimates = {} as RatioEstimates;
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
    return estimates;
  }
}
