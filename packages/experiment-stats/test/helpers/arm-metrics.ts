/** The metrics the proofs look at, computed per arm from simulated viewers with this package. */
import type { Guardrail } from '../../src/guardrail.js';
import { compareArms, type Lift, type LiftOptions } from '../../src/lift.js';
import type { AlwaysValid } from '../../src/mixture-sprt.js';
import { quantileEstimate } from '../../src/quantile.js';
import {
  type ArmEstimate,
  armMoments,
  perViewerMean,
  ratioEstimate,
  type ViewerAggregate,
} from '../../src/viewer-metric.js';
import type { SimulatedViewer } from './simulated-experiment.js';

const HOUR_MS = 3_600_000;

export type MetricName =
  | 'rebufferRatio'
  | 'bitsPerViewerHour'
  | 'startupMeanMs'
  | 'exitBeforeStart'
  | 'startupP95Ms';

export const METRIC_NAMES: readonly MetricName[] = [
  'rebufferRatio',
  'bitsPerViewerHour',
  'startupMeanMs',
  'exitBeforeStart',
  'startupP95Ms',
];

/** Harm directions, for guardrails. */
export const WORSE: Record<MetricName, Guardrail['worse']> = {
  rebufferRatio: 'higher',
  bitsPerViewerHour: 'higher',
  startupMeanMs: 'higher',
  exitBeforeStart: 'higher',
  startupP95Ms: 'higher',
};

function ratioOf(
  viewers: readonly SimulatedViewer[],
  pick: (v: SimulatedViewer) => ViewerAggregate,
): ArmEstimate {
  return ratioEstimate(armMoments(viewers.map(pick)));
}

export function armEstimate(metric: MetricName, viewers: readonly SimulatedViewer[]): ArmEstimate {
  switch (metric) {
    case 'rebufferRatio':
      return ratioOf(viewers, (v) => ({ numerator: v.rebufferMs, denominator: v.watchMs }));
    case 'bitsPerViewerHour':
      return ratioOf(viewers, (v) => ({ numerator: v.bitsDownloaded, denominator: v.watchMs / HOUR_MS }));
    case 'exitBeforeStart':
      return ratioOf(viewers, (v) => ({ numerator: v.views - v.startedViews, denominator: v.views }));
    case 'startupMeanMs': {
      const started = viewers.filter((v) => v.startupMs.length > 0);
      const means = started.map((v) => v.startupMs.reduce((a, b) => a + b, 0) / v.startupMs.length);
      return ratioEstimate(armMoments(perViewerMean(means)));
    }
    case 'startupP95Ms':
      return quantileEstimate(
        viewers.filter((v) => v.startupMs.length > 0).map((v) => v.startupMs),
        0.95,
      );
  }
}

/** One look at arm 1 vs arm 0 (control) for a metric, carrying the always-valid state. */
export function look(
  metric: MetricName,
  viewers: readonly SimulatedViewer[],
  options: LiftOptions,
  previous: AlwaysValid | undefined,
): Lift {
  const control = viewers.filter((v) => v.arm === 0);
  const treatment = viewers.filter((v) => v.arm === 1);
  return compareArms(armEstimate(metric, control), armEstimate(metric, treatment), options, previous);
}

/** Wilson score interval for k successes in n (Wilson, JASA 1927), z = 1.959964 (95 %). */
export function wilsonInterval(k: number, n: number, z = 1.959964): { lower: number; upper: number } {
  const p = k / n;
  const center = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { lower: Math.max(0, center - half), upper: Math.min(1, center + half) };
}
