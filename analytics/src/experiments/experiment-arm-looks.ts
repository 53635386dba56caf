/**
 * Every arm's estimates at every look, from each viewer's numbers per step
 * (experiment-viewers-query.ts): look k holds the views of steps 0..k, each viewer's numbers summed
 * up to it. One pass over the steps in order: a viewer's totals grow in place (a Float64Array per
 * arm, column by column), and each ratio
 * metric's delta-method moments (experiment-metrics.ts `RatioMoments`) lose the viewer's old pair
 * and gain the new one, so a look costs the viewers who changed in it, not every viewer again. The
 * p95's interval needs every view up to a look; experiment-stats' `cumulativeQuantileEstimates`
 * sorts them once for all looks.
 */
import type { ExperimentMetric } from '@streamloop/core/experiments';
import { cumulativeQuantileEstimates } from '@streamloop/experiment-stats/quantile';
import type { ArmEstimate } from '@streamloop/experiment-stats/viewer-metric';
import {
  EXPERIMENT_METRICS,
  PAIRS_WIDTH,
  type RatioEstimates,
  RatioMoments,
  viewerFromSums,
  viewerPairs,
} from './experiment-metrics.js';
import { type ExperimentViewerSteps, SUMMED_COLUMNS } from './experiment-viewers-query.js';

export type ArmLookEstimates = Record<ExperimentMetric, ArmEstimate | null>;

export interface ArmLooks {
  /** Every metric's estimate at each look (index = look). */
  estimates: ArmLookEstimates[];
  /** The arm's viewers by each look. */
  viewers: number[];
  /** Totals by the last look. */
  views: number;
  syntheticViews: number;
  /** Σ kbps × ms played: bits delivered. */
  bitsDelivered: number;
}

/** Every arm seen, experiment's or not. Steps in step order (as the query returns them); a step past the last look counts in the last. */
export function armLooks(steps: ExperimentViewerSteps, looks: number): Map<string, ArmLooks> {
  const arms = new Map<string, ArmState>();
  const rows = steps.step.length;
  const summed = SUMMED_COLUMNS.map((column) => steps[column]);
  let next = 0;
  for (let look = 0; look < looks; look++) {
    for (; next < rows; next++) {
      if ((steps.step[next] as number) > look && look < looks - 1) break;
      const name = steps.arm[next] as string;
      let arm = arms.get(name);
      if (arm === undefined) {
        arm = newArm(look);
        arms.set(name, arm);
      }
      addStep(arm, steps, summed, next, look);
    }
    for (const arm of arms.values()) {
      arm.ratios.push(arm.moments.estimates());
      arm.looks.viewers.push(arm.ids.length);
    }
  }
  const result = new Map<string, ArmLooks>();
  for (const [name, arm] of arms) {
    const p95 = cumulativeQuantileEstimates(arm.startups, looks, 0.95, undefined, name);
    arm.looks.estimates = arm.ratios.map((ratios, look) => ({
      ...ratios,
      startup_time_p95_ms: p95[look] ?? null,
    }));
    result.set(name, arm.looks);
  }
  return result;
}

/** An arm no view reached: every metric null. */
export const NO_ESTIMATES: ArmLookEstimates = Object.freeze(
  Object.fromEntries(EXPERIMENT_METRICS.map((metric) => [metric, null])) as ArmLookEstimates,
);

const WIDTH = SUMMED_COLUMNS.length;
const INITIAL_VIEWERS = 1_024;

function doubled(array: Float64Array): Float64Array {
  const grown = new Float64Array(array.length * 2);
  grown.set(array);
  return grown;
}

interface ArmState {
  index: Map<string, number>;
  ids: string[];
  /** Viewer i's totals at [i · WIDTH, (i + 1) · WIDTH), SUMMED_COLUMNS' order; grows by doubling. */
  sums: Float64Array;
  startupTimes: number[][];
  /** Viewer i's pairs as last added to `moments` at [i · PAIRS_WIDTH, (i + 1) · PAIRS_WIDTH) (viewerPairs). */
  pairs: Float64Array;
  moments: RatioMoments;
  /** Ratio estimates per look; the p95 joins them at the end. */
  ratios: RatioEstimates[];
  /** Every startup time, its viewer's index and the look it joined at (cumulativeQuantileEstimates). */
  startups: { values: number[]; viewers: number[]; looks: number[] };
  looks: ArmLooks;
}

/** An arm first seen at `look`: nothing at the looks before. */
function newArm(look: number): ArmState {
  const before = new RatioMoments().estimates();
  return {
    index: new Map(),
    ids: [],
    sums: new Float64Array(INITIAL_VIEWERS * WIDTH),
    startupTimes: [],
    pairs: new Float64Array(INITIAL_VIEWERS * PAIRS_WIDTH),
    moments: new RatioMoments(),
    ratios: Array.from({ length: look }, () => before),
    startups: { values: [], viewers: [], looks: [] },
    looks: {
      estimates: [],
      viewers: Array.from({ length: look }, () => 0),
      views: 0,
      syntheticViews: 0,
      bitsDelivered: 0,
    },
  };
}

function addStep(
  arm: ArmState,
  steps: ExperimentViewerSteps,
  summed: readonly number[][],
  row: number,
  look: number,
): void {
  const id = steps.viewer_id[row] as string;
  let at = arm.index.get(id);
  if (at === undefined) {
    at = arm.ids.length;
    arm.index.set(id, at);
    arm.ids.push(id);
    arm.startupTimes.push([]);
    if ((at + 1) * WIDTH > arm.sums.length) {
      arm.sums = doubled(arm.sums);
      arm.pairs = doubled(arm.pairs);
    }
  } else {
    arm.moments.remove(arm.pairs, at * PAIRS_WIDTH);
  }
  const offset = at * WIDTH;
  const sums = arm.sums;
  for (let c = 0; c < WIDTH; c++)
    sums[offset + c] = (sums[offset + c] as number) + (summed[c]?.[row] as number);
  const times = arm.startupTimes[at] as number[];
  for (const startup of steps.startup_times_ms[row] as number[]) {
    times.push(startup);
    arm.startups.values.push(startup);
    arm.startups.viewers.push(at);
    arm.startups.looks.push(look);
  }
  viewerPairs(viewerFromSums(id, sums, offset, times, medianInclusive(times)), arm.pairs, at * PAIRS_WIDTH);
  arm.moments.add(arm.pairs, at * PAIRS_WIDTH);
  arm.looks.views += steps.views[row] as number;
  arm.looks.syntheticViews += steps.synthetic_views[row] as number;
  arm.looks.bitsDelivered += steps.bitrate_kbps_x_play_ms[row] as number;
}
/** ClickHouse's quantileExactInclusive(0.5): linear between the two middle values; null for none. */
function medianInclusive(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  // Most viewers have one or two views: no copy and sort for those.
  if (values.length === 1) return values[0] as number;
  if (values.length === 2) {
    const [a, b] = values as [number, number];
    return Math.min(a, b) + 0.5 * Math.abs(b - a);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * 0.5;
  const low = Math.floor(h);
  const a = sorted[low] as number;
  const b = sorted[Math.min(low + 1, sorted.length - 1)] as number;
  return a + (h - low) * (b - a);
}
