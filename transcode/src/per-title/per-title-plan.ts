/**
 * One way to plan a title's ladder, for everyone who plans one: ingest's ladder-plan API, transcode's
 * per-title ladder at upload, the benchmark. The service's defaults (constraints, the reference
 * audience, the bitrate grid between hull points) and the step from a plan to a catalog ladder live
 * here, once. docs/ladders.md explains each.
 */
import { createHash } from 'node:crypto';
import type { ThroughputDistribution } from '@streamloop/core/features';
import { DEFAULT_LADDER, h264Rung, type LadderDefinition } from '@streamloop/core/ladders';
import type { LadderPlanQuery, ProbePoint } from '@streamloop/core/schemas/ladder-plan';
import {
  type CurrentLadderInput,
  DEFAULT_CELLULAR_RUNG_MAX_KBPS,
  DEFAULT_DROP_BELOW_WATCH_SHARE,
  DEFAULT_MAX_STEP_RATIO,
  DEFAULT_MIN_STEP_RATIO,
  type LadderConstraints,
  type LadderPlan,
  type PredictedRung,
  planLadder,
  throughputFromQuantiles,
} from './ladder-planner.js';
import { buildRateQualityHull, type RateQualityHull } from './rate-quality-hull.js';

/**
 * The audience when nothing is measured (an assumption, not data): a broadband-leaning spread from
 * 1.5 to 25 Mbit/s, so a content-only plan keeps rungs from the cellular one to the top the content
 * needs. Replaced by the fleet's distribution as soon as the feature job has published one.
 */
export const REFERENCE_AUDIENCE: Omit<ThroughputDistribution, 'samples'> = {
  p10: 1_500,
  p25: 3_000,
  p50: 6_000,
  p75: 12_000,
  p90: 25_000,
};

/**
 * The constraints a caller leaves out: at most the default ladder's 5 rungs; from 64 kbit/s of
 * video (so a cellular rung of ≤ 192 kbit/s fits beside the default 96 kbit/s audio) to 8 Mbit/s
 * (above the default ladder's 1080p top: content that needs it may use it).
 */
export const DEFAULT_PLAN_CONSTRAINTS = {
  maxRungs: 5,
  minBitrateKbps: 64,
  maxBitrateKbps: 8_000,
  cellularRungMaxKbps: DEFAULT_CELLULAR_RUNG_MAX_KBPS,
  minStepRatio: DEFAULT_MIN_STEP_RATIO,
  maxStepRatio: DEFAULT_MAX_STEP_RATIO,
  dropBelowWatchShare: DEFAULT_DROP_BELOW_WATCH_SHARE,
} as const satisfies LadderConstraints;

/** Rungs may sit between probe points, ~19 % apart (the planner's `candidateGridStep`). */
export const CANDIDATE_GRID_STEP = 2 ** 0.25;

export interface PerTitlePlanInput {
  videoId: string;
  points: readonly ProbePoint[];
  /** The audience's throughput quantiles (REFERENCE_AUDIENCE for a content-only plan). */
  throughputKbps: Omit<ThroughputDistribution, 'samples'>;
  /** Over DEFAULT_PLAN_CONSTRAINTS. */
  constraints?: LadderPlanQuery;
  currentLadder: CurrentLadderInput;
  audioBitrateKbps: number;
}

/**
 * The plan with the service's defaults (mobile viewers assumed present: a cellular rung is kept).
 * Throws the planner's LadderPlanError / the hull's RateQualityInputError for impossible input.
 */
export function planPerTitle(input: PerTitlePlanInput): {
  plan: LadderPlan;
  hull: RateQualityHull;
  constraints: Required<Omit<LadderConstraints, 'codec' | 'minQualityGain'>>;
} {
  const constraints = { ...DEFAULT_PLAN_CONSTRAINTS, ...input.constraints };
  const hull = buildRateQualityHull(input.points);
  const q = input.throughputKbps;
  const plan = planLadder({
    videoId: input.videoId,
    version: 1,
    hull,
    audience: {
      throughput: throughputFromQuantiles([
        { p: 0.1, kbps: q.p10 },
        { p: 0.25, kbps: q.p25 },
        { p: 0.5, kbps: q.p50 },
        { p: 0.75, kbps: q.p75 },
        { p: 0.9, kbps: q.p90 },
      ]),
      mobileViewers: true,
    },
    constraints,
    currentLadder: input.currentLadder,
    audioBitrateKbps: input.audioBitrateKbps,
    candidateGridStep: CANDIDATE_GRID_STEP,
  });
  return { plan, hull, constraints };
}

/** The catalog id of a video's per-title ladder: lower-case like every ladder id (video ids are not). */
export function perTitleLadderId(videoId: string): string {
  return `pt-${createHash('sha256').update(videoId).digest('hex').slice(0, 16)}`;
}

/**
 * The proposed rungs as a catalog ladder (`perTitleLadderId`): H.264 at the default ladder's presets
 * and audio; a rung within the cellular budget capped at its bitrate (as the default ladder's
 * cellular rung), the others capped VBR (core's h264Rung).
 */
export function perTitleLadderDefinition(
  videoId: string,
  rungs: readonly Pick<PredictedRung, 'height' | 'bitrateKbps'>[],
  cellularRungMaxKbps: number = DEFAULT_CELLULAR_RUNG_MAX_KBPS,
): LadderDefinition {
  return {
    id: perTitleLadderId(videoId),
    rungs: rungs.map((rung) => {
      const kbps = Math.round(rung.bitrateKbps);
      if (kbps + DEFAULT_LADDER.audioBitrateKbps <= cellularRungMaxKbps) {
        return {
          ...h264Rung(rung.height, kbps, 'main'),
          maxrateKbps: kbps,
          bufsizeKbps: Math.round(kbps * 1.5),
        };
      }
      return h264Rung(rung.height, kbps);
    }),
    audioBitrateKbps: DEFAULT_LADDER.audioBitrateKbps,
    presets: DEFAULT_LADDER.presets,
  };
}
