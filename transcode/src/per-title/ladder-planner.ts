/**
 * Per-title ladder planning: which points of a title's rate–quality hull become rungs, so that the
 * title's own audience gets the most quality, and what that ladder and the current one are predicted
 * to deliver, side by side. Pure: the hull, the audience and the constraints in, numbers out.
 *
 * The viewer model (one viewer = one (throughput, display) cell of the audience, weighted by watch
 * time, so shares of weight are watch shares):
 * - A rung is playable for a viewer when (video + audio kbps) × VHS' BANDWIDTH_VARIANCE (1.2, from
 *   playback-model's abr-vhs, i.e. a safety factor of 1/1.2 ≈ 0.83) < the viewer's sustainable
 *   throughput — VHS' `simpleSelector` test — and its height ≤ the display's (the SDK limits
 *   renditions by player size; nothing taller is useful). The viewer plays the highest playable rung.
 * - No playable rung: the viewer falls back to the lowest rung, as VHS does. A throughput under that
 *   rung's bitrate stalls: credited quality 0 (a stalling session delivers nothing worth counting);
 *   at or above it (within VHS' margin only), the rung's quality.
 * - Credited quality is capped at the display's ceiling: the best hull quality at a height ≤ the
 *   display's (no value in 1080p on a 360p display); no display given, no cap.
 * - Deviations from VHS, on purpose: a display between two rung heights rounds down here (VHS
 *   rounds up to the next size); when every rung is taller than the display the model plays the
 *   lowest rung (VHS the highest affordable of the smallest size). With rungs and displays on the
 *   usual 234/360/480/720/1080 grid neither happens.
 *
 * The search is exact: a dynamic programme over the hull points in [min, max] sorted by bitrate.
 * For a ladder whose heights do not decrease as bitrate rises (required of every plan), "playable"
 * is a prefix of the ladder for each viewer, so a viewer's rung depends only on that rung and the
 * next one up. The expected quality then splits into one term per neighbour pair — value(i → j):
 * viewers playable on i but not on j — plus a term for viewers who fall back to the first rung, and
 * best[k][j] = max over i of best[k−1][i] + value(i → j) is exact. Each transition also checks the
 * step ratio, non-decreasing height and the minimum quality gain; the first rung checks the
 * cellular cap (the watch-share floor is applied after the search: `dropThinRungs`). O(maxRungs × n² + n² × viewers): tiny for 20–60 hull points.
 * Ties on quality (within 1e-9) go to fewer expected bits, then fewer rungs.
 *
 * Dropping rungs under `dropBelowWatchShare` (`dropThinRungs`): after the search without a floor,
 * the thinnest non-lowest rung under the floor is dropped, shares re-predicted, and again — but only
 * where the rungs either side stay within the maximum step ratio. A floor inside the search would
 * forbid the zero-share rungs that carry a ladder from the cellular rung up to a broadband audience
 * (the model gives each viewer one sustainable throughput, so a bridging rung plays for nobody at
 * steady state, though real sessions pass through it at startup and in dips). `dropped` lists what
 * went, top down, each with its share when it went.
 */
import { MAX_LADDER_RUNGS } from '@streamloop/core/ladders';
import type { VideoCodec } from '@streamloop/core/schemas/ladder';
import { BANDWIDTH_VARIANCE } from '@streamloop/playback-model/abr-vhs';
import {
  bestResolutionAt,
  type HullPoint,
  type QualityMetric,
  qualityAt,
  qualityOnCurve,
  type RateQualityHull,
} from './rate-quality-hull.js';

/** Apple HLS authoring spec: a variant at ≤ 192 kbit/s (video + audio) while cellular viewers exist (as core's DEFAULT_LADDER). */
export const DEFAULT_CELLULAR_RUNG_MAX_KBPS = 192;
/** Neighbouring rungs' bitrate ratio (issue 13's example range). */
export const DEFAULT_MIN_STEP_RATIO = 1.5;
export const DEFAULT_MAX_STEP_RATIO = 2.5;
/** Issue 13: rungs expected to serve under 2 % of watch time are not worth encoding and storing. */
export const DEFAULT_DROP_BELOW_WATCH_SHARE = 0.02;

const BITS_PER_KBPS_HOUR = 1000 * 3600;
const EPS = 1e-9;

/** A histogram bucket: viewers (weighted by watch time) whose sustainable throughput is `kbps`. */
export interface ThroughputBucket {
  kbps: number;
  weight: number;
}

export interface DisplayBucket {
  /** Display (player) height in pixels, the short side. */
  height: number;
  weight: number;
}

export interface PlanAudience {
  throughput: readonly ThroughputBucket[];
  /** Independent of throughput. Absent: no display limit. */
  displays?: readonly DisplayBucket[];
  /** Requires a cellular rung. */
  mobileViewers: boolean;
}

export interface LadderConstraints {
  maxRungs: number;
  /** Video bitrate bounds of every rung. */
  minBitrateKbps: number;
  maxBitrateKbps: number;
  /** Video + audio of the lowest rung when mobile viewers exist. Default 192. */
  cellularRungMaxKbps?: number;
  /** Bounds on a rung's bitrate over the one below it. Default 1.5 and 2.5. */
  minStepRatio?: number;
  maxStepRatio?: number;
  /** Least quality (hull metric) a rung must add over the one below. Default 0. */
  minQualityGain?: number;
  /** Must match the hull's codec when the hull names one. Default 'h264'. */
  codec?: VideoCodec;
  /** Every rung but the lowest must expect at least this watch share. Default 0.02. */
  dropBelowWatchShare?: number;
}

export interface CurrentLadderInput {
  /** Default 'current'. */
  id?: string;
  rungs: readonly { height: number; width?: number; bitrateKbps: number }[];
}

export interface PlanLadderInput {
  videoId: string;
  /** The n of `per-title/<videoId>@<n>`. */
  version: number;
  hull: RateQualityHull;
  audience: PlanAudience;
  constraints: LadderConstraints;
  currentLadder: CurrentLadderInput;
  /** The shared audio rendition, added to every rung's bitrate for playability, cellular and bits. Default 0. */
  audioBitrateKbps?: number;
  /**
   * Also offer rungs BETWEEN hull points: bitrates from max(minBitrateKbps, half the lowest probe)
   * to min(maxBitrateKbps, the hull's top — or minBitrateKbps when the whole hull lies below it),
   * each `candidateGridStep` times the last (e.g. 2^¼ ≈ 1.19),
   * at the resolution whose own curve is highest there (`bestResolutionAt`) and with that curve's
   * quality (interpolated; below its lowest probe, its first edge extended — at most one halving).
   * An encoder hits any target bitrate, so a few probe points should not force 8× steps between
   * rungs. Absent: hull points only.
   */
  candidateGridStep?: number;
}

export interface PredictedRung {
  height: number;
  width: number;
  /** Video bitrate. */
  bitrateKbps: number;
  /** In the hull's metric (PSNR dB by default), before any display cap. */
  predictedQuality: number;
  /** 'hull': a hull point (or the hull at this bitrate); 'resolution-curve': its own resolution's curve. */
  qualityFrom: 'hull' | 'resolution-curve';
  predictedWatchShare: number;
  /** This rung's part of an average viewer-hour's bits (video + audio); the rungs add up to the total. */
  expectedBitsPerViewerHour: number;
}

export interface LadderPrediction {
  id: string;
  rungs: PredictedRung[];
  totals: {
    /** Watch-share-weighted credited quality (display caps and stalls applied). */
    expectedQuality: number;
    expectedBitsPerViewerHour: number;
    /** Watch share on a throughput under the lowest rung's bitrate. */
    stallShare: number;
  };
}

export interface LadderPlan {
  metric: QualityMetric;
  codec: VideoCodec;
  proposed: LadderPrediction;
  current: LadderPrediction;
  /** Rungs `dropThinRungs` took out for their share under the floor, top down, each with its share then. */
  dropped: { height: number; width: number; bitrateKbps: number; predictedWatchShare: number }[];
}

export type LadderPlanErrorCode = 'ERR_LADDER_CONSTRAINTS' | 'ERR_LADDER_INPUT';

export class LadderPlanError extends Error {
  constructor(
    readonly code: LadderPlanErrorCode,
    /** `constraints.minBitrateKbps`, `audience.throughput[2].kbps`, … */
    readonly field: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${field}: ${problem}; ${fix}`);
    this.name = 'LadderPlanError';
  }
}

/**
 * Throughput quantiles (p in (0, 1)) as a histogram: each quantile's kbps takes the probability mass
 * up to the midpoints with its neighbours (p10/p50/p90 → weights 0.3/0.4/0.3). Coarse, but it lets
 * the fleet-wide p10/p50/p90 features stand in for a title without its own histogram.
 */
export function throughputFromQuantiles(
  quantiles: readonly { p: number; kbps: number }[],
): ThroughputBucket[] {
  if (quantiles.length === 0) {
    throw new LadderPlanError('ERR_LADDER_INPUT', 'quantiles', 'is empty', 'give at least one { p, kbps }');
  }
  const sorted = [...quantiles].sort((a, b) => a.p - b.p);
  return sorted.map((q, i) => {
    if (!(q.p > 0 && q.p < 1) || !(Number.isFinite(q.kbps) && q.kbps >= 0)) {
      throw new LadderPlanError(
        'ERR_LADDER_INPUT',
        `quantiles[${i}]`,
        `needs 0 < p < 1 and kbps ≥ 0, got p ${q.p}, kbps ${q.kbps}`,
        'pass quantiles such as { p: 0.5, kbps: 2000 }',
      );
    }
    const prev = sorted[i - 1];
    const next = sorted[i + 1];
    const from = prev ? (prev.p + q.p) / 2 : 0;
    const to = next ? (q.p + next.p) / 2 : 1;
    return { kbps: q.kbps, weight: to - from };
  });
}

interface Viewer {
  throughputKbps: number;
  displayHeight: number;
  /** Highest quality creditable on this display. */
  ceiling: number;
  weight: number;
}

interface RungModel {
  height: number;
  width: number;
  bitrateKbps: number;
  /** Video + audio. */
  totalKbps: number;
  quality: number;
  /** Set for a grid rung (between hull points); a hull point's is 'hull'. */
  qualityFrom?: PredictedRung['qualityFrom'];
}

interface Settled {
  maxRungs: number;
  minBitrateKbps: number;
  maxBitrateKbps: number;
  cellularRungMaxKbps: number;
  minStepRatio: number;
  maxStepRatio: number;
  minQualityGain: number;
  codec: VideoCodec;
  dropBelowWatchShare: number;
}

export function planLadder(input: PlanLadderInput): LadderPlan {
  const audioKbps = input.audioBitrateKbps ?? 0;
  checkInput(input, audioKbps);
  const settled = settle(input.constraints, input.hull);
  const viewers = viewersOf(input.audience, input.hull);
  const candidates = candidatesOf(
    input.hull,
    settled,
    input.audience.mobileViewers,
    audioKbps,
    input.candidateGridStep,
  );

  // The best ladder without the floor, then its thin rungs dropped where the step ratio allows
  // (see `dropThinRungs`): a floor inside the search would forbid the zero-share rungs that carry
  // the ladder from the cellular rung up to a broadband audience within the step ratio.
  const unfloored = search(candidates, viewers, settled, input.audience.mobileViewers);
  const { kept, dropped } = dropThinRungs(unfloored, candidates, viewers, settled);
  const proposed = predict(
    `per-title/${input.videoId}@${input.version}`,
    withSource(kept, candidates),
    viewers,
  );

  const current = predict(
    input.currentLadder.id ?? 'current',
    input.currentLadder.rungs.map((rung) => currentRung(input.hull, rung, audioKbps)),
    viewers,
  );
  return { metric: input.hull.metric, codec: settled.codec, proposed, current, dropped };
}

/** Quality of any rung on the hull's data: its own resolution's curve when probed, else the hull. */
export function qualityOfRung(
  hull: RateQualityHull,
  rung: { height: number; width?: number; bitrateKbps: number },
): { quality: number; from: PredictedRung['qualityFrom'] } {
  const curve =
    hull.curves.find(
      (c) => c.height === rung.height && (rung.width === undefined || c.width === rung.width),
    ) ?? hull.curves.find((c) => c.height === rung.height);
  if (curve) return { quality: qualityOnCurve(hull, curve, rung.bitrateKbps), from: 'resolution-curve' };
  return { quality: qualityAt(hull, rung.bitrateKbps), from: 'hull' };
}

function currentRung(
  hull: RateQualityHull,
  rung: CurrentLadderInput['rungs'][number],
  audioKbps: number,
): RungModel & { qualityFrom: PredictedRung['qualityFrom'] } {
  const { quality, from } = qualityOfRung(hull, rung);
  const width =
    rung.width ??
    hull.curves.find((c) => c.height === rung.height)?.width ??
    2 * Math.round((rung.height * 16) / 9 / 2);
  return {
    height: rung.height,
    width,
    bitrateKbps: rung.bitrateKbps,
    totalKbps: rung.bitrateKbps + audioKbps,
    quality,
    qualityFrom: from,
  };
}

const playable = (viewer: Viewer, rung: RungModel): boolean =>
  rung.totalKbps * BANDWIDTH_VARIANCE < viewer.throughputKbps && rung.height <= viewer.displayHeight;

const credit = (viewer: Viewer, rung: RungModel): number => Math.min(rung.quality, viewer.ceiling);

/** A viewer with no playable rung, on the lowest one: stalls under its bitrate. */
const fallbackCredit = (viewer: Viewer, rung: RungModel): number =>
  viewer.throughputKbps < rung.totalKbps ? 0 : credit(viewer, rung);

/** What a ladder (any order, any shape) is predicted to deliver to the viewers. */
function predict(
  id: string,
  rungs: readonly (RungModel & { qualityFrom: PredictedRung['qualityFrom'] })[],
  viewers: readonly Viewer[],
): LadderPrediction {
  const sorted = [...rungs].sort((a, b) => a.totalKbps - b.totalKbps || a.height - b.height);
  const shares = sorted.map(() => 0);
  let expectedQuality = 0;
  let stallShare = 0;
  for (const viewer of viewers) {
    let played = -1;
    sorted.forEach((rung, i) => {
      if (playable(viewer, rung)) played = i;
    });
    const lowest = sorted[0] as RungModel;
    if (played >= 0) {
      expectedQuality += viewer.weight * credit(viewer, sorted[played] as RungModel);
    } else {
      played = 0;
      expectedQuality += viewer.weight * fallbackCredit(viewer, lowest);
      if (viewer.throughputKbps < lowest.totalKbps) stallShare += viewer.weight;
    }
    shares[played] = (shares[played] ?? 0) + viewer.weight;
  }
  const predicted = sorted.map(
    (rung, i): PredictedRung => ({
      height: rung.height,
      width: rung.width,
      bitrateKbps: rung.bitrateKbps,
      predictedQuality: rung.quality,
      qualityFrom: rung.qualityFrom,
      predictedWatchShare: shares[i] ?? 0,
      expectedBitsPerViewerHour: (shares[i] ?? 0) * rung.totalKbps * BITS_PER_KBPS_HOUR,
    }),
  );
  return {
    id,
    rungs: predicted,
    totals: {
      expectedQuality,
      expectedBitsPerViewerHour: predicted.reduce((sum, rung) => sum + rung.expectedBitsPerViewerHour, 0),
      stallShare,
    },
  };
}

/** Quality, kbps (video + audio, share-weighted) and share of one part of a ladder's audience. */
interface Part {
  value: number;
  kbps: number;
  share: number;
}

interface Cell {
  value: number;
  kbps: number;
  previous: number;
}

const better = (
  a: { value: number; kbps: number },
  b: { value: number; kbps: number } | undefined,
): boolean =>
  b === undefined || a.value > b.value + EPS || (a.value >= b.value - EPS && a.kbps < b.kbps - EPS);

/** The exact search (see the file's comment). Returns candidate indexes, lowest first. */
function search(
  candidates: readonly RungModel[],
  viewers: readonly Viewer[],
  constraints: Settled,
  mobileViewers: boolean,
): number[] {
  const n = candidates.length;
  // in[c][v]: viewer v can play candidate c.
  const canPlay = candidates.map((rung) => viewers.map((viewer) => playable(viewer, rung)));
  /** Viewers who play i when the next rung up is j (j = n: i is the top). */
  const segment = (i: number, j: number): Part => {
    const rung = candidates[i] as RungModel;
    const part: Part = { value: 0, kbps: 0, share: 0 };
    viewers.forEach((viewer, v) => {
      if (canPlay[i]?.[v] && !(j < n && canPlay[j]?.[v])) {
        part.value += viewer.weight * credit(viewer, rung);
        part.share += viewer.weight;
      }
    });
    part.kbps = part.share * rung.totalKbps;
    return part;
  };
  /** Viewers who can play no rung of a ladder starting at i: they fall back to i. */
  const fallback = (i: number): Part => {
    const rung = candidates[i] as RungModel;
    const part: Part = { value: 0, kbps: 0, share: 0 };
    viewers.forEach((viewer, v) => {
      if (!canPlay[i]?.[v]) {
        part.value += viewer.weight * fallbackCredit(viewer, rung);
        part.share += viewer.weight;
      }
    });
    part.kbps = part.share * rung.totalKbps;
    return part;
  };
  const segments = candidates.map((_c, i) => candidates.map((_d, j) => (j > i ? segment(i, j) : undefined)));
  const tops = candidates.map((_c, i) => segment(i, n));
  const step = (i: number, j: number): boolean => {
    const low = candidates[i] as RungModel;
    const high = candidates[j] as RungModel;
    const ratio = high.bitrateKbps / low.bitrateKbps;
    return (
      ratio >= constraints.minStepRatio - EPS &&
      ratio <= constraints.maxStepRatio + EPS &&
      high.height >= low.height &&
      high.quality - low.quality >= constraints.minQualityGain - EPS
    );
  };

  // best[k][j]: the best ladder of k + 1 rungs topped by j, counting every viewer but j's own.
  const best: (Cell | undefined)[][] = [];
  best.push(
    candidates.map((rung, j) => {
      if (mobileViewers && rung.totalKbps > constraints.cellularRungMaxKbps) return undefined;
      const part = fallback(j);
      return { value: part.value, kbps: part.kbps, previous: -1 };
    }),
  );
  for (let k = 1; k < constraints.maxRungs; k++) {
    const row: (Cell | undefined)[] = [];
    for (let j = 0; j < n; j++) {
      let cell: Cell | undefined;
      for (let i = 0; i < j; i++) {
        const from = best[k - 1]?.[i];
        const part = segments[i]?.[j];
        if (!from || !part || !step(i, j)) continue;
        const next = { value: from.value + part.value, kbps: from.kbps + part.kbps, previous: i };
        if (better(next, cell)) cell = next;
      }
      row.push(cell);
    }
    best.push(row);
  }

  let chosen: { k: number; j: number; value: number; kbps: number } | undefined;
  best.forEach((row, k) => {
    row.forEach((cell, j) => {
      const top = tops[j];
      if (!cell || !top) return;
      const total = { k, j, value: cell.value + top.value, kbps: cell.kbps + top.kbps };
      if (better(total, chosen)) chosen = total;
    });
  });
  // Always found: settle() checked a candidate fits as a one-rung ladder.
  const ladder: number[] = [];
  for (let k = chosen?.k ?? -1, j = chosen?.j ?? -1; k >= 0 && j >= 0; k--) {
    ladder.unshift(j);
    j = best[k]?.[j]?.previous ?? -1;
  }
  return ladder;
}

function checkInput(input: PlanLadderInput, audioKbps: number): void {
  const fail = (field: string, problem: string, fix: string): never => {
    throw new LadderPlanError('ERR_LADDER_INPUT', field, problem, fix);
  };
  if (input.videoId.length === 0) fail('videoId', 'is empty', 'pass the id of the video being planned');
  if (!(Number.isInteger(input.version) && input.version >= 1)) {
    fail(
      'version',
      `must be an integer ≥ 1, got ${input.version}`,
      'pass the next version of the per-title ladder',
    );
  }
  if (input.hull.points.length === 0)
    fail('hull.points', 'is empty', 'build the hull with buildRateQualityHull');
  if (!(Number.isFinite(audioKbps) && audioKbps >= 0)) {
    fail('audioBitrateKbps', `must be ≥ 0, got ${audioKbps}`, "pass the ladder's audio bitrate, or 0");
  }
  const { throughput, displays } = input.audience;
  if (throughput.length === 0) {
    fail('audience.throughput', 'is empty', 'pass the title’s (or the fleet’s) throughput histogram');
  }
  throughput.forEach((bucket, i) => {
    if (
      !(
        Number.isFinite(bucket.kbps) &&
        bucket.kbps >= 0 &&
        Number.isFinite(bucket.weight) &&
        bucket.weight >= 0
      )
    ) {
      fail(
        `audience.throughput[${i}]`,
        `needs finite kbps ≥ 0 and weight ≥ 0, got kbps ${bucket.kbps}, weight ${bucket.weight}`,
        'fix the bucket',
      );
    }
  });
  if (!(sumOf(throughput) > 0))
    fail('audience.throughput', 'has no weight', 'give at least one bucket a weight > 0');
  if (displays !== undefined) {
    displays.forEach((bucket, i) => {
      if (!(bucket.height > 0 && Number.isFinite(bucket.weight) && bucket.weight >= 0)) {
        fail(
          `audience.displays[${i}]`,
          `needs height > 0 and weight ≥ 0, got height ${bucket.height}, weight ${bucket.weight}`,
          'fix the bucket',
        );
      }
    });
    if (!(sumOf(displays) > 0))
      fail('audience.displays', 'has no weight', 'omit displays or give them weights');
  }
  if (input.currentLadder.rungs.length === 0) {
    fail('currentLadder.rungs', 'is empty', 'pass the rungs of the ladder the title has now');
  }
  input.currentLadder.rungs.forEach((rung, i) => {
    if (!(rung.height > 0 && Number.isFinite(rung.bitrateKbps) && rung.bitrateKbps > 0)) {
      fail(
        `currentLadder.rungs[${i}]`,
        `needs height > 0 and bitrateKbps > 0, got ${rung.height} / ${rung.bitrateKbps}`,
        'fix the rung',
      );
    }
  });
}

function settle(constraints: LadderConstraints, hull: RateQualityHull): Settled {
  const fail = (field: string, problem: string, fix: string): never => {
    throw new LadderPlanError('ERR_LADDER_CONSTRAINTS', `constraints.${field}`, problem, fix);
  };
  const settled: Settled = {
    maxRungs: constraints.maxRungs,
    minBitrateKbps: constraints.minBitrateKbps,
    maxBitrateKbps: constraints.maxBitrateKbps,
    cellularRungMaxKbps: constraints.cellularRungMaxKbps ?? DEFAULT_CELLULAR_RUNG_MAX_KBPS,
    minStepRatio: constraints.minStepRatio ?? DEFAULT_MIN_STEP_RATIO,
    maxStepRatio: constraints.maxStepRatio ?? DEFAULT_MAX_STEP_RATIO,
    minQualityGain: constraints.minQualityGain ?? 0,
    codec: constraints.codec ?? 'h264',
    dropBelowWatchShare: constraints.dropBelowWatchShare ?? DEFAULT_DROP_BELOW_WATCH_SHARE,
  };
  const s = settled;
  if (!(Number.isInteger(s.maxRungs) && s.maxRungs >= 1 && s.maxRungs <= MAX_LADDER_RUNGS)) {
    fail(
      'maxRungs',
      `must be a whole number from 1 to ${MAX_LADDER_RUNGS}, got ${s.maxRungs}`,
      'allow at least one rung',
    );
  }
  if (!(Number.isFinite(s.minBitrateKbps) && s.minBitrateKbps >= 0)) {
    fail(
      'minBitrateKbps',
      `must be a finite number ≥ 0, got ${s.minBitrateKbps}`,
      'use 0 for no lower bound',
    );
  }
  if (!(s.maxBitrateKbps > 0)) {
    fail(
      'maxBitrateKbps',
      `must be > 0, got ${s.maxBitrateKbps}`,
      'set the highest video bitrate a rung may have',
    );
  }
  if (s.minBitrateKbps > s.maxBitrateKbps) {
    fail(
      'minBitrateKbps',
      `${s.minBitrateKbps} kbps is above maxBitrateKbps ${s.maxBitrateKbps} kbps`,
      'lower minBitrateKbps or raise maxBitrateKbps',
    );
  }
  if (!(s.minStepRatio > 1)) {
    fail(
      'minStepRatio',
      `must be > 1, got ${s.minStepRatio}`,
      'neighbouring rungs must differ; 1.5 is usual',
    );
  }
  if (!(s.maxStepRatio >= s.minStepRatio)) {
    fail(
      'maxStepRatio',
      `step ratios are inverted: maxStepRatio ${s.maxStepRatio} < minStepRatio ${s.minStepRatio}`,
      'swap them (e.g. minStepRatio 1.5, maxStepRatio 2.5)',
    );
  }
  if (!(s.minQualityGain >= 0))
    fail('minQualityGain', `must be ≥ 0, got ${s.minQualityGain}`, 'use 0 for none');
  if (!(s.dropBelowWatchShare >= 0 && s.dropBelowWatchShare < 1)) {
    fail(
      'dropBelowWatchShare',
      `must be in [0, 1), got ${s.dropBelowWatchShare}`,
      'use 0.02, or 0 to keep every rung',
    );
  }
  if (!(s.cellularRungMaxKbps > 0)) {
    fail(
      'cellularRungMaxKbps',
      `must be > 0, got ${s.cellularRungMaxKbps}`,
      'use 192 (Apple HLS authoring spec)',
    );
  }
  if (hull.codec !== undefined && hull.codec !== s.codec) {
    fail(
      'codec',
      `is ${s.codec} but the hull was probed with ${hull.codec}`,
      `probe with ${s.codec} or plan for ${hull.codec}`,
    );
  }
  return settled;
}

function candidatesOf(
  hull: RateQualityHull,
  constraints: Settled,
  mobileViewers: boolean,
  audioKbps: number,
  gridStep: number | undefined,
): RungModel[] {
  const toRung = (point: HullPoint): RungModel => ({
    height: point.height,
    width: point.width,
    bitrateKbps: point.bitrateKbps,
    totalKbps: point.bitrateKbps + audioKbps,
    quality: point.quality,
  });
  const inRange = (kbps: number) => kbps >= constraints.minBitrateKbps && kbps <= constraints.maxBitrateKbps;
  const low = hull.points[0]?.bitrateKbps ?? 0;
  const high = hull.points[hull.points.length - 1]?.bitrateKbps ?? 0;
  const onHull = hull.points.filter((p) => inRange(p.bitrateKbps)).map(toRung);
  const grid = gridStep === undefined ? [] : gridRungs(hull, constraints, audioKbps, gridStep, low, high);
  const taken = new Set(onHull.map((rung) => rung.bitrateKbps));
  const candidates = [...onHull, ...grid.filter((rung) => !taken.has(rung.bitrateKbps))].sort(
    (a, b) => a.bitrateKbps - b.bitrateKbps || a.height - b.height,
  );
  if (candidates.length === 0) {
    throw new LadderPlanError(
      'ERR_LADDER_CONSTRAINTS',
      'constraints.minBitrateKbps/maxBitrateKbps',
      `no hull point lies in ${constraints.minBitrateKbps}–${constraints.maxBitrateKbps} kbps (the hull spans ${low}–${high} kbps)`,
      'widen the bitrate range to overlap the hull, or probe at bitrates inside it',
    );
  }
  if (mobileViewers && !candidates.some((rung) => rung.totalKbps <= constraints.cellularRungMaxKbps)) {
    const videoMax = constraints.cellularRungMaxKbps - audioKbps;
    throw new LadderPlanError(
      'ERR_LADDER_CONSTRAINTS',
      'constraints.cellularRungMaxKbps',
      `mobile viewers need a rung ≤ ${constraints.cellularRungMaxKbps} kbps with ${audioKbps} kbps audio (≤ ${videoMax} kbps video) ` +
        `and ≥ minBitrateKbps ${constraints.minBitrateKbps}, but the lowest hull point in range is ${candidates[0]?.bitrateKbps} kbps`,
      'probe the smallest resolution at a higher CRF, lower minBitrateKbps or the audio bitrate, or raise cellularRungMaxKbps',
    );
  }
  return candidates;
}

const withSource = (indices: readonly number[], candidates: readonly RungModel[]) =>
  indices.map((i) => {
    const rung = candidates[i] as RungModel;
    return { ...rung, qualityFrom: rung.qualityFrom ?? ('hull' as const) };
  });

/**
 * Drops, one at a time, the non-lowest rung with the smallest predicted watch share under the floor,
 * re-predicting the shares after each drop (its viewers move to the rung below), and only where the
 * rungs either side stay within the maximum step ratio — so a rung that few play but that bridges
 * the step from the cellular rung up is kept, and the ladder stays valid. `dropped` lists the rungs
 * taken out, each with its share when it was taken out.
 */
function dropThinRungs(
  indices: readonly number[],
  candidates: readonly RungModel[],
  viewers: readonly Viewer[],
  settled: Settled,
): { kept: number[]; dropped: LadderPlan['dropped'] } {
  const kept = [...indices];
  const dropped: LadderPlan['dropped'] = [];
  for (;;) {
    const prediction = predict('pruning', withSource(kept, candidates), viewers);
    let thinnest = -1;
    let thinnestShare = settled.dropBelowWatchShare;
    prediction.rungs.forEach((rung, k) => {
      if (k === 0 || rung.predictedWatchShare >= thinnestShare) return;
      const below = prediction.rungs[k - 1] as PredictedRung;
      const above = prediction.rungs[k + 1];
      if (above !== undefined && above.bitrateKbps / below.bitrateKbps > settled.maxStepRatio + EPS) return;
      thinnest = k;
      thinnestShare = rung.predictedWatchShare;
    });
    if (thinnest < 0) return { kept, dropped };
    const { height, width, bitrateKbps, predictedWatchShare } = prediction.rungs[thinnest] as PredictedRung;
    dropped.push({ height, width, bitrateKbps, predictedWatchShare });
    kept.splice(thinnest, 1);
  }
}

/** The rungs between hull points (see `candidateGridStep`), whole kbit/s. */
function gridRungs(
  hull: RateQualityHull,
  constraints: Settled,
  audioKbps: number,
  step: number,
  low: number,
  high: number,
): RungModel[] {
  if (!(Number.isFinite(step) && step > 1)) {
    throw new LadderPlanError(
      'ERR_LADDER_INPUT',
      'candidateGridStep',
      `must be a number > 1, got ${step}`,
      'use e.g. 2 ** 0.25 for steps of about 19 %',
    );
  }
  const rungs: RungModel[] = [];
  // Up to the hull's top, where quality stops rising — or up to minBitrateKbps when the whole hull
  // lies under it (content so simple that every probe is cheaper than the floor): the floor's
  // bitrate then buys the hull's top quality, at the top point's resolution.
  const top = Math.min(constraints.maxBitrateKbps, Math.max(high, constraints.minBitrateKbps));
  for (let kbps = Math.max(constraints.minBitrateKbps, low / 2); kbps <= top; kbps *= step) {
    const bitrateKbps = Math.round(kbps);
    const { width, height } = bestResolutionAt(hull, bitrateKbps);
    const curve = hull.curves.find((c) => c.width === width && c.height === height);
    if (curve === undefined) continue;
    rungs.push({
      height,
      width,
      bitrateKbps,
      totalKbps: bitrateKbps + audioKbps,
      quality: qualityOnCurve(hull, curve, bitrateKbps),
      qualityFrom: 'resolution-curve',
    });
  }
  return rungs;
}

/** Every (throughput, display) cell, weights normalised to 1, with its display's quality ceiling. */
function viewersOf(audience: PlanAudience, hull: RateQualityHull): Viewer[] {
  const throughputTotal = sumOf(audience.throughput);
  const displays = audience.displays ?? [{ height: Number.POSITIVE_INFINITY, weight: 1 }];
  const displayTotal = sumOf(displays);
  const viewers: Viewer[] = [];
  for (const bucket of audience.throughput) {
    for (const display of displays) {
      const weight = (bucket.weight / throughputTotal) * (display.weight / displayTotal);
      if (weight > 0) {
        viewers.push({
          throughputKbps: bucket.kbps,
          displayHeight: display.height,
          ceiling: ceilingFor(hull, display.height),
          weight,
        });
      }
    }
  }
  return viewers;
}

/**
 * The best hull quality at a height ≤ the display's: what the display can show. A display smaller
 * than every hull resolution gets the ceiling of the smallest one.
 */
function ceilingFor(hull: RateQualityHull, displayHeight: number): number {
  if (displayHeight === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const smallest = Math.min(...hull.points.map((p) => p.height));
  const limit = Math.max(displayHeight, smallest);
  return Math.max(...hull.points.filter((p) => p.height <= limit).map((p) => p.quality));
}

const sumOf = (buckets: readonly { weight: number }[]): number =>
  buckets.reduce((sum, bucket) => sum + bucket.weight, 0);
