/**
 * An experiment's results from its per-viewer rows (experiment-viewers-query.ts): per arm the views,
 * viewers, every metric and the egress its bits cost; per treatment arm and metric the lift against
 * control with the always-valid state carried look by look (compareArms' `previous`), guardrail
 * verdicts and the primary metric's MDE; the sample-ratio check over exposed viewers (beacons' viewers
 * when no exposure was logged), and whether beacons cover every arm alike. All statistics are
 * @streamloop/experiment-stats'; this file only feeds it and names the answers.
 */
import {
  type Experiment,
  type ExperimentArmResult,
  type ExperimentComparison,
  type ExperimentGuardrailResult,
  type ExperimentMetric,
  type ExperimentResults,
  experimentVariant,
  HIGHER_IS_BETTER,
} from '@streamloop/core/experiments';
import type { QoeRendition, SyntheticScope } from '@streamloop/core/schemas/qoe-api';
import { guardrailVerdict } from '@streamloop/experiment-stats/guardrail';
import { compareArms, isSignificant, type Lift } from '@streamloop/experiment-stats/lift';
import { minimumDetectableEffect } from '@streamloop/experiment-stats/mde';
import type { AlwaysValid } from '@streamloop/experiment-stats/mixture-sprt';
import { sampleRatioMismatch } from '@streamloop/experiment-stats/srm';
import type { AnalyticsTarget } from '../beacons-table.js';
import { getRenditions } from '../qoe-queries.js';
import { readWatermarkMs } from '../qoe-sources.js';
import { alignToMinutes } from '../time-range.js';
import { type ArmLooks, armLooks, NO_ESTIMATES } from './experiment-arm-looks.js';
import { queryExposedViewers } from './experiment-exposures-query.js';
import { type LookSchedule, lookEndMs, lookSchedule } from './experiment-looks.js';
import { EXPERIMENT_METRICS as METRICS } from './experiment-metrics.js';
import { type ArmStorage, BYTES_PER_GB, DEFAULT_STORAGE_USD_PER_GB_MONTH } from './experiment-storage.js';
import { type ExperimentViewerSteps, queryExperimentViewerSteps } from './experiment-viewers-query.js';

/** CloudFront's first-10-TB list price for North America and Europe (2024), a stand-in until you pass yours. */
export const DEFAULT_EGRESS_USD_PER_GB = 0.085;
/** Power the MDE is stated at. */
const MDE_POWER = 0.8;
const BITS_PER_GB = 8e9;

/** Results from `startedAt` to `stoppedAt` (running: to `nowMs`); a draft has no looks yet. */
export async function readExperimentResults(
  store: AnalyticsTarget,
  experiment: Experiment,
  options: Omit<ResultsOptions, 'schedule' | 'rungShare'> & {
    nowMs: number;
    /** Read the play time per rung per arm (the guardrail job needs none). Default true. */
    rungShare?: boolean;
  },
): Promise<Omit<ExperimentResults, 'armsStopped' | 'guardrailsEnforced'>> {
  const startMs = experiment.startedAt === null ? 0 : Date.parse(experiment.startedAt);
  const endMs =
    experiment.startedAt === null
      ? 0
      : experiment.stoppedAt === null
        ? options.nowMs
        : Date.parse(experiment.stoppedAt);
  const schedule = lookSchedule(startMs, endMs);
  const srmLook = srmLookOf(experiment, schedule);
  // Independent reads, in flight together: the per-viewer steps, the exposures, the rung shares.
  const [steps, exposedViewers, rungShare] = await Promise.all([
    schedule.looks === 0
      ? null
      : readWatermarkMs(store).then((watermarkMs) =>
          queryExperimentViewerSteps(store, {
            experimentId: experiment.id,
            ...schedule,
            scope: options.scope,
            watermarkMs,
          }),
        ),
    srmLook < 0
      ? new Map<string, number>()
      : queryExposedViewers(store, {
          experimentId: experiment.id,
          startMs: schedule.startMs,
          endMs: lookEndMs(schedule, srmLook),
          scope: options.scope,
        }),
    schedule.looks === 0 || options.rungShare === false
      ? new Map<string, QoeRendition[]>()
      : Promise.all(
          experiment.arms.map(
            async (arm) =>
              [
                arm.name,
                await getRenditions(store, {
                  ...alignToMinutes({ fromMs: schedule.startMs, toMs: schedule.endMs }),
                  variant: experimentVariant(experiment.id, arm.name),
                  synthetic: options.scope,
                }),
              ] as const,
          ),
        ).then((shares) => new Map(shares)),
  ]);
  return computeResults(experiment, steps, { ...options, schedule, exposedViewers, rungShare });
}

export interface ResultsOptions {
  schedule: LookSchedule;
  scope: SyntheticScope;
  alpha: number;
  egressUsdPerGb: number;
  /** Distinct viewers exposed per arm up to the SRM look's end (experiment-exposures-query.ts). */
  exposedViewers?: ReadonlyMap<string, number>;
  /** Play time per rung per arm (the QoE renditions breakdown of the arm's variant). */
  rungShare?: ReadonlyMap<string, QoeRendition[]>;
  /** What each arm's ladder stores over the videos in scope (experiment-storage.ts). */
  storage?: ArmStorage;
  /** Default DEFAULT_STORAGE_USD_PER_GB_MONTH. */
  storageUsdPerGbMonth?: number;
}

/**
 * The look the split is checked at: the last one that ended before any arm was stopped (a stopped
 * arm's viewers go to control, so later counts no longer follow the split); -1 when there is none.
 */
export function srmLookOf(experiment: Pick<Experiment, 'arms'>, schedule: LookSchedule): number {
  const stops = experiment.arms.flatMap((arm) => (arm.stopped === null ? [] : [Date.parse(arm.stopped.at)]));
  const firstStopMs = stops.length === 0 ? Infinity : Math.min(...stops);
  let look = schedule.looks - 1;
  while (look >= 0 && lookEndMs(schedule, look) > firstStopMs) look--;
  return look;
}

const orNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

export function computeResults(
  experiment: Experiment,
  steps: ExperimentViewerSteps | null,
  options: ResultsOptions,
): Omit<ExperimentResults, 'armsStopped' | 'guardrailsEnforced'> {
  const { schedule, alpha } = options;
  const storageUsdPerGbMonth = options.storageUsdPerGbMonth ?? DEFAULT_STORAGE_USD_PER_GB_MONTH;
  const looks = steps === null ? new Map<string, ArmLooks>() : armLooks(steps, schedule.looks);
  const estimates = (look: number, arm: string) => looks.get(arm)?.estimates[look] ?? NO_ESTIMATES;
  const viewersAt = (look: number, arm: string): number => looks.get(arm)?.viewers[look] ?? 0;
  const last = schedule.looks - 1;
  const control = experiment.arms.find((arm) => arm.control);
  if (control === undefined) throw new Error(`experiment ${experiment.id} has no control arm`);

  /** The metric's lift at the last look, the always-valid state carried over every look before it. */
  const liftsOf = (
    metric: ExperimentMetric,
    arm: string,
  ): { final: Lift | null; pValues: (number | null)[] } => {
    let previous: AlwaysValid | undefined;
    let final: Lift | null = null;
    const pValues: (number | null)[] = [];
    for (let look = 0; look < schedule.looks; look++) {
      const c = estimates(look, control.name)[metric];
      const t = estimates(look, arm)[metric];
      final = c === null || t === null ? null : compareArms(c, t, { alpha }, previous);
      if (final !== null) previous = final.alwaysValid;
      pValues.push(previous?.pValue ?? null);
    }
    return { final, pValues };
  };

  const timeline: ExperimentResults['primaryTimeline'] = [];
  const arms: ExperimentArmResult[] = experiment.arms.map((arm) => {
    const totals = looks.get(arm.name);
    const bitsDelivered = totals?.bitsDelivered ?? 0;
    const storageBytes = options.storage?.bytes.get(arm.name) ?? null;
    const metrics = Object.fromEntries(
      METRICS.map((metric) => [metric, last < 0 ? null : (estimates(last, arm.name)[metric]?.value ?? null)]),
    );
    const comparisons: ExperimentComparison[] = [];
    const guardrails: ExperimentGuardrailResult[] = [];
    let primaryMde: ExperimentArmResult['primaryMde'] = null;
    if (!arm.control) {
      for (const metric of METRICS) {
        const { final, pValues } = liftsOf(metric, arm.name);
        comparisons.push(comparison(metric, final, alpha));
        if (metric === experiment.primaryMetric) {
          for (const [look, pValue] of pValues.entries())
            timeline.push({ at: new Date(lookEndMs(schedule, look)).toISOString(), arm: arm.name, pValue });
          if (final?.looked === true)
            primaryMde = minimumDetectableEffect(final.logRatioStandardError, {
              alpha,
              power: MDE_POWER,
              mixingRelativeSd: 0.1,
            });
        }
        const guardrail = experiment.guardrails.find((g) => g.metric === metric);
        if (guardrail !== undefined) guardrails.push(guardrailResult(guardrail, final));
      }
    }
    return {
      name: arm.name,
      control: arm.control,
      trafficPercent: arm.trafficPercent,
      stopped: arm.stopped,
      views: totals?.views ?? 0,
      syntheticViews: totals?.syntheticViews ?? 0,
      viewers: last < 0 ? 0 : viewersAt(last, arm.name),
      metrics,
      bitsDelivered,
      egressCostUsd: (bitsDelivered / BITS_PER_GB) * options.egressUsdPerGb,
      rungShare: options.rungShare?.get(arm.name) ?? [],
      storageBytes,
      storageCostUsdPerMonth:
        storageBytes === null ? null : (storageBytes / BYTES_PER_GB) * storageUsdPerGbMonth,
      comparisons,
      guardrails,
      primaryMde,
    };
  });

  const srmLook = srmLookOf(experiment, schedule);
  const beaconViewers = experiment.arms.map((arm) => (srmLook < 0 ? 0 : viewersAt(srmLook, arm.name)));
  const exposed = experiment.arms.map((arm) => options.exposedViewers?.get(arm.name) ?? 0);
  // Who was assigned is the truth of the split; beacons only when delivery logged no exposure.
  const basis = exposed.some((count) => count > 0) ? 'exposures' : 'beacons';
  const observed = basis === 'exposures' ? exposed : beaconViewers;
  const srm = observed.some((count) => count > 0)
    ? sampleRatioMismatch(
        observed,
        experiment.arms.map((arm) => arm.trafficPercent / 100),
      )
    : null;
  const exposedTotal = exposed.reduce((a, b) => a + b, 0);
  const tracking =
    exposed.every((count) => count > 0) && beaconViewers.some((count) => count > 0)
      ? sampleRatioMismatch(
          beaconViewers,
          exposed.map((count) => count / exposedTotal),
        )
      : null;
  return {
    experimentId: experiment.id,
    status: experiment.status,
    primaryMetric: experiment.primaryMetric,
    synthetic: options.scope,
    from: schedule.looks > 0 ? new Date(schedule.startMs).toISOString() : null,
    to: schedule.looks > 0 ? new Date(schedule.endMs).toISOString() : null,
    lookStepHours: schedule.stepMs / 3_600_000,
    alpha,
    egressUsdPerGb: options.egressUsdPerGb,
    storageUsdPerGbMonth,
    storageVideos: options.storage?.videos ?? 0,
    arms,
    sampleRatioMismatch:
      srm === null
        ? null
        : {
            asOf: new Date(lookEndMs(schedule, srmLook)).toISOString(),
            basis,
            observedViewers: observed,
            expectedViewers: srm.expected,
            chiSquare: srm.chiSquare,
            pValue: srm.pValue,
            flagged: srm.flagged,
            exposedViewers: basis === 'exposures' ? exposed : null,
            beaconViewers,
            beaconCoverage: exposed.map((count, i) =>
              basis === 'exposures' && count > 0 ? (beaconViewers[i] ?? 0) / count : null,
            ),
            trackingMismatch:
              tracking === null
                ? null
                : { chiSquare: tracking.chiSquare, pValue: tracking.pValue, flagged: tracking.flagged },
          },
    primaryTimeline: timeline,
    unknownArmViews: [...looks]
      .filter(([name]) => !experiment.arms.some((arm) => arm.name === name))
      .reduce((sum, [, arm]) => sum + arm.views, 0),
  };
}

function comparison(metric: ExperimentMetric, lift: Lift | null, alpha: number): ExperimentComparison {
  if (lift === null) {
    const none = { lower: null, upper: null, pValue: null };
    return {
      metric,
      control: null,
      treatment: null,
      relativeLift: null,
      fixedHorizon: none,
      alwaysValid: none,
      significant: false,
      verdict: 'inconclusive',
      noLookReason: 'no-data',
    };
  }
  const significant = isSignificant(lift.alwaysValid, alpha);
  const higher = lift.relativeLift > 0;
  return {
    metric,
    control: orNull(lift.control),
    treatment: orNull(lift.treatment),
    relativeLift: orNull(lift.relativeLift),
    fixedHorizon: lift.looked
      ? {
          lower: orNull(lift.fixedHorizon.lower),
          upper: orNull(lift.fixedHorizon.upper),
          pValue: orNull(lift.fixedHorizon.pValue),
        }
      : { lower: null, upper: null, pValue: null },
    alwaysValid: {
      lower: orNull(lift.alwaysValid.lower),
      upper: orNull(lift.alwaysValid.upper),
      pValue: orNull(lift.alwaysValid.pValue),
    },
    significant,
    verdict: !significant ? 'inconclusive' : higher === HIGHER_IS_BETTER[metric] ? 'better' : 'worse',
    noLookReason: lift.noLookReason ?? null,
  };
}

function guardrailResult(
  guardrail: Experiment['guardrails'][number],
  lift: Lift | null,
): ExperimentGuardrailResult {
  const base = { metric: guardrail.metric, marginPercent: guardrail.marginPercent };
  if (lift === null)
    return { ...base, status: 'inconclusive', harmLower: null, harmUpper: null, reason: 'no data yet' };
  const verdict = guardrailVerdict(
    {
      margin: guardrail.marginPercent / 100,
      worse: HIGHER_IS_BETTER[guardrail.metric] ? 'lower' : 'higher',
    },
    lift,
  );
  return {
    ...base,
    status: verdict.status,
    harmLower: orNull(verdict.harmLower),
    harmUpper: orNull(verdict.harmUpper),
    reason: verdict.reason,
  };
}
