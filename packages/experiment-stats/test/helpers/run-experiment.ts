/** One simulated experiment looked at `looks` times, as a dashboard refreshed during the run would. */
import type { Audience } from '@streamloop/playback-model/audience';
import { type GuardrailStatus, guardrailVerdict } from '../../src/guardrail.js';
import type { Lift, LiftOptions } from '../../src/lift.js';
import type { AlwaysValid } from '../../src/mixture-sprt.js';
import { sampleRatioMismatch } from '../../src/srm.js';
import { look, type MetricName, WORSE } from './arm-metrics.js';
import { type SimulatedArm, simulateExperiment } from './simulated-experiment.js';

export interface ExperimentRun {
  seed: number;
  viewers: number;
  looksTaken: Record<MetricName, number>;
  /** The always-valid state after the last look (running minimum p, intersected interval). */
  alwaysValid: Record<MetricName, AlwaysValid>;
  last: Record<MetricName, Lift>;
  /** Some look's one-look z-test had p < α: what peeking at a fixed-horizon test would conclude. */
  naivelySignificant: Record<MetricName, boolean>;
  guardrail: Record<MetricName, GuardrailStatus>;
  srmFlagged: boolean;
}

export function runExperiment(options: {
  audience: Audience;
  seed: number;
  arms: readonly SimulatedArm[];
  metrics: readonly MetricName[];
  looks: number;
  liftOptions?: LiftOptions;
  guardrailMargin: number;
}): ExperimentRun {
  const viewers = simulateExperiment(options);
  const alpha = options.liftOptions?.alpha ?? 0.05;
  const run: ExperimentRun = {
    seed: options.seed,
    viewers: viewers.length,
    looksTaken: {} as Record<MetricName, number>,
    alwaysValid: {} as Record<MetricName, AlwaysValid>,
    last: {} as Record<MetricName, Lift>,
    naivelySignificant: {} as Record<MetricName, boolean>,
    guardrail: {} as Record<MetricName, GuardrailStatus>,
    srmFlagged: false,
  };
  for (let k = 1; k <= options.looks; k++) {
    const seen = viewers.slice(0, Math.round((viewers.length * k) / options.looks));
    const perArm = options.arms.map((_, arm) => seen.filter((v) => v.arm === arm).length);
    if (
      sampleRatioMismatch(
        perArm,
        options.arms.map((arm) => arm.share),
      ).flagged
    )
      run.srmFlagged = true;
    for (const metric of options.metrics) {
      const lift = look(metric, seen, options.liftOptions ?? {}, run.alwaysValid[metric]);
      run.last[metric] = lift;
      run.alwaysValid[metric] = lift.alwaysValid;
      run.looksTaken[metric] = (run.looksTaken[metric] ?? 0) + (lift.looked ? 1 : 0);
      run.naivelySignificant[metric] =
        (run.naivelySignificant[metric] ?? false) || (lift.looked && lift.fixedHorizon.pValue < alpha);
    }
  }
  for (const metric of options.metrics) {
    run.guardrail[metric] = guardrailVerdict(
      { margin: options.guardrailMargin, worse: WORSE[metric] },
      { alwaysValid: run.alwaysValid[metric] },
    ).status;
  }
  return run;
}
