/**
 * The power proofs' procedure, shared by test/power.test.ts and bench/power.ts: a pilot experiment
 * (its own seed) measures the effect and the standard error, the MDE calculation turns them into a
 * sample size, then fresh experiments of that size are run and counted.
 */
import type { Audience } from '@streamloop/playback-model/audience';
import type { Ladder } from '@streamloop/playback-model/ladder';
import type { GuardrailStatus } from '../../src/guardrail.js';
import { sampleForMde } from '../../src/mde.js';
import { look, METRIC_NAMES, type MetricName } from './arm-metrics.js';
import { type ExperimentRun, runExperiment } from './run-experiment.js';
import { cheaperEncode, controlLadder, mixedAudience, POWER_SHARES, withoutLowRungs } from './scenarios.js';
import { type SimulatedArm, simulateExperiment } from './simulated-experiment.js';

export const ALPHA = 0.05;
export const POWER = 0.8;
export const MIXING_RELATIVE_SD = 0.1;
export const GUARDRAIL_MARGIN = 0.1;
export const LOOKS = 10;
const Z_95 = 1.959964;

/**
 * Which effect the sample is planned for: the pilot's point estimate, or the near end of its 95 %
 * interval (the effect one can count on; planning from a pilot's confidence limit rather than its
 * point estimate is the usual guard against an optimistic pilot — Browne, "On the use of a pilot
 * sample for sample size determination", Statistics in Medicine 1995, does it for the variance).
 */
export type PlanFor = 'point-estimate' | 'pilot-lower-bound';

export interface PowerPlan {
  planFor: PlanFor;
  pilotViewers: number;
  /** The pilot's relative lift, and the one the sample is planned for. */
  pilotEffect: number;
  effect: number;
  standardError: number;
  /** Viewers needed for the lift to be declared, and for the guardrail bound to clear its margin. */
  viewersToDetect: number;
  viewersToBreach: number | undefined;
  viewers: number;
  watchHoursPerArm: number;
}

export function planFromPilot(options: {
  audience: Audience;
  seed: number;
  arms: readonly SimulatedArm[];
  metric: MetricName;
  withGuardrail: boolean;
  planFor: PlanFor;
}): PowerPlan {
  const viewers = simulateExperiment(options);
  const lift = look(
    options.metric,
    viewers,
    { alpha: ALPHA, mixingRelativeSd: MIXING_RELATIVE_SD },
    undefined,
  );
  const today = { standardError: lift.logRatioStandardError, viewers: viewers.length };
  const mde = { alpha: ALPHA, power: POWER, mixingRelativeSd: MIXING_RELATIVE_SD };
  const logEffect = Math.log1p(lift.relativeLift);
  const effect =
    options.planFor === 'point-estimate'
      ? lift.relativeLift
      : Math.expm1(Math.sign(logEffect) * (Math.abs(logEffect) - Z_95 * lift.logRatioStandardError));
  const viewersToDetect = sampleForMde(effect, today, mde).viewers;
  const viewersToBreach = options.withGuardrail
    ? sampleForMde(effect, today, { ...mde, margin: GUARDRAIL_MARGIN }).viewers
    : undefined;
  const needed = Math.max(viewersToDetect, viewersToBreach ?? 0);
  const watchHours = viewers.reduce((sum, v) => sum + v.watchMs, 0) / 3_600_000;
  return {
    planFor: options.planFor,
    pilotViewers: viewers.length,
    pilotEffect: lift.relativeLift,
    effect,
    standardError: lift.logRatioStandardError,
    viewersToDetect,
    viewersToBreach,
    viewers: needed,
    watchHoursPerArm: (watchHours / viewers.length) * (needed / options.arms.length),
  };
}

export interface PowerRuns {
  runs: number;
  detected: number;
  /** Detected and, where a guardrail applies, breached: the arm would have been stopped. */
  detectedAndStopped: number;
  guardrail: Record<GuardrailStatus, number>;
  results: ExperimentRun[];
}

export function runAtPlannedSize(options: {
  audience: Audience;
  firstSeed: number;
  runs: number;
  arms: readonly SimulatedArm[];
  metric: MetricName;
  direction: 'higher' | 'lower';
  guardrailMetric: MetricName;
}): PowerRuns {
  const out: PowerRuns = {
    runs: options.runs,
    detected: 0,
    detectedAndStopped: 0,
    guardrail: { breached: 0, ok: 0, inconclusive: 0 },
    results: [],
  };
  const metrics = [...new Set([options.metric, options.guardrailMetric])].filter((m) =>
    METRIC_NAMES.includes(m),
  );
  for (let r = 0; r < options.runs; r++) {
    const run = runExperiment({
      audience: options.audience,
      seed: options.firstSeed + r,
      arms: options.arms,
      metrics,
      looks: LOOKS,
      liftOptions: { alpha: ALPHA, mixingRelativeSd: MIXING_RELATIVE_SD },
      guardrailMargin: GUARDRAIL_MARGIN,
    });
    const state = run.alwaysValid[options.metric];
    const detected =
      state.pValue <= ALPHA && (options.direction === 'higher' ? state.lower > 0 : state.upper < 0);
    const guardrail = run.guardrail[options.guardrailMetric];
    out.guardrail[guardrail]++;
    if (detected) out.detected++;
    if (detected && guardrail === 'breached') out.detectedAndStopped++;
    out.results.push(run);
  }
  return out;
}

export interface PowerScenario {
  name: string;
  arms: readonly SimulatedArm[];
  metric: MetricName;
  /** The direction the treatment truly moves the metric. */
  direction: 'higher' | 'lower';
  guardrailMetric: MetricName;
  /** Whether the sample must also let the guardrail bound clear its margin. */
  withGuardrail: boolean;
  pilotSeed: number;
}

/** Control and one treatment arm, 50/50. */
function againstControl(name: string, ladder: Ladder): SimulatedArm[] {
  return [
    { name: 'control', ladder: controlLadder, share: 0.5 },
    { name, ladder, share: 0.5 },
  ];
}

/** Dropping 240p and 360p, on an audience with 3G viewers: worse rebuffering, guardrail stops it. */
export const DROP_LOW_RUNGS: PowerScenario = {
  name: 'drop-two-lowest-rungs',
  arms: againstControl('no-240p-360p', withoutLowRungs),
  metric: 'rebufferRatio',
  direction: 'higher',
  guardrailMetric: 'rebufferRatio',
  withGuardrail: true,
  pilotSeed: 1,
};

/** The same declared ladder, 20 % fewer bytes: cheaper on bits at equal QoE. */
export const CHEAPER_ENCODE: PowerScenario = {
  name: 'cheaper-encode',
  arms: againstControl('cheaper-encode', cheaperEncode),
  metric: 'bitsPerViewerHour',
  direction: 'lower',
  guardrailMetric: 'rebufferRatio',
  withGuardrail: false,
  pilotSeed: 2,
};

/** Pilot (4,000 viewers), plan, then `runs` fresh experiments at the planned size. */
export function runPowerScenario(
  scenario: PowerScenario,
  options: { planFor: PlanFor; runs: number; firstSeed: number },
): { plan: PowerPlan; result: PowerRuns } {
  const plan = planFromPilot({
    audience: mixedAudience(4000, POWER_SHARES),
    seed: scenario.pilotSeed,
    arms: scenario.arms,
    metric: scenario.metric,
    withGuardrail: scenario.withGuardrail,
    planFor: options.planFor,
  });
  const result = runAtPlannedSize({
    audience: mixedAudience(plan.viewers, POWER_SHARES),
    firstSeed: options.firstSeed,
    runs: options.runs,
    arms: scenario.arms,
    metric: scenario.metric,
    direction: scenario.direction,
    guardrailMetric: scenario.guardrailMetric,
  });
  return { plan, result };
}
