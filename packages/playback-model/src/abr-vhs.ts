/**
 * video.js 8 http-streaming's default ABR, mirrored (not copied) from:
 * - playlist-selectors.js `simpleSelector` / `lastBandwidthSelector`: rungs with
 *   BANDWIDTH × 1.2 < systemBandwidth, then the player-size limit (exact resolution, else the
 *   smallest rung larger than the player, else the best by bandwidth, else the lowest rung);
 * - playlist-controller.js `shouldSwitchToMedia` (bufferBasedABR off, VOD): a down-switch is always
 *   allowed, an up-switch once the forward buffer reaches the low water line
 *   min(currentTime × 1, 30) s; a title shorter than 30 s switches freely;
 * - playlist-controller.js `goalBufferLength`: min(30 + currentTime × 1, 60) s.
 * The check runs after every appended segment (`bandwidthupdate` → `checkABR_`).
 */
import type { AbrContext, AbrPolicy, Viewport } from './abr-policy.js';
import type { Ladder } from './ladder.js';
import { memoizeByObject } from './memo.js';

export const BANDWIDTH_VARIANCE = 1.2;
export const GOAL_BUFFER_LENGTH = 30;
export const MAX_GOAL_BUFFER_LENGTH = 60;
export const MAX_BUFFER_LOW_WATER_LINE = 30;

export function vhsGoalBufferSec(currentTimeSec: number): number {
  return Math.min(GOAL_BUFFER_LENGTH + currentTimeSec, MAX_GOAL_BUFFER_LENGTH);
}

export function vhsBufferLowWaterLineSec(currentTimeSec: number): number {
  return Math.min(currentTimeSec, MAX_BUFFER_LOW_WATER_LINE);
}

interface Rep {
  index: number;
  bandwidth: number;
  width: number;
  height: number;
}

// Sorted once per ladder: selection runs after every segment of every simulated session.
// Array sort is stable, so equal bandwidths keep ladder order, as VHS' stableSort does.
const sortedReps = memoizeByObject((ladder: Ladder): Rep[] =>
  ladder.rungs
    .map((rung, index) => ({ index, bandwidth: rung.bandwidth, width: rung.width, height: rung.height }))
    .sort((left, right) => left.bandwidth - right.bandwidth),
);

/**
 * simpleSelector with limitRenditionByPlayerDimensions on (the SDK's setting) and no
 * leastPixelDiffSelector or object-fit: cover. Returns a rung index. The affordable rungs are a
 * prefix of the bandwidth order, so VHS' filter-and-sort chain becomes two passes over it.
 */
export function vhsSelectRung(
  ladder: Ladder,
  bandwidth: number,
  viewport: Viewport,
  isEnabled: (rung: number) => boolean = ALL_ENABLED,
): number {
  const sorted = sortedReps(ladder);
  // When every rung is excluded VHS ignores the exclusions. (Loops, not some(): this runs after
  // every segment of every simulated session, and a closure per call adds up.)
  let someEnabled = false;
  for (const rep of sorted) {
    if (isEnabled(rep.index)) {
      someEnabled = true;
      break;
    }
  }
  const filter = someEnabled ? isEnabled : ALL_ENABLED;
  let affordable = 0;
  while (
    affordable < sorted.length &&
    (sorted[affordable]?.bandwidth ?? 0) * BANDWIDTH_VARIANCE < bandwidth
  ) {
    affordable++;
  }
  let lowestEnabled: Rep | undefined;
  for (const rep of sorted) {
    if (filter(rep.index)) {
      lowestEnabled = rep;
      break;
    }
  }

  // Exact player size: the highest bandwidth, first of equals.
  let exact: Rep | undefined;
  // Smallest rung larger than the player in either dimension (first of the narrowest).
  let plusOneSize: Rep | undefined;
  // Highest affordable bandwidth, first of equals.
  let top: Rep | undefined;
  for (let i = 0; i < affordable; i++) {
    const rep = sorted[i] as Rep;
    if (!filter(rep.index)) continue;
    if (!top || rep.bandwidth > top.bandwidth) top = rep;
    if (!rep.width || !rep.height) continue;
    if (rep.width === viewport.width && rep.height === viewport.height) {
      if (!exact || rep.bandwidth > exact.bandwidth) exact = rep;
    } else if (
      (rep.width > viewport.width || rep.height > viewport.height) &&
      (!plusOneSize || rep.width < plusOneSize.width)
    ) {
      plusOneSize = rep;
    }
  }
  if (exact) return exact.index;
  if (plusOneSize) {
    // Among rungs of that same size, the highest bandwidth, first of equals.
    let best = plusOneSize;
    for (let i = 0; i < affordable; i++) {
      const rep = sorted[i] as Rep;
      if (!filter(rep.index)) continue;
      if (
        rep.width === plusOneSize.width &&
        rep.height === plusOneSize.height &&
        rep.bandwidth > best.bandwidth
      ) {
        best = rep;
      }
    }
    return best.index;
  }
  return top?.index ?? lowestEnabled?.index ?? 0;
}

const ALL_ENABLED = (_rung: number): boolean => true;

/** isLowestEnabledRendition: no enabled rung declares less. Lowest rungs get no request timeout. */
export function vhsIsLowestEnabled(
  ladder: Ladder,
  rung: number,
  isEnabled: (rung: number) => boolean,
): boolean {
  const bandwidth = ladder.rungs[rung]?.bandwidth ?? 0;
  if (ladder.rungs.length === 1) return true;
  for (let index = 0; index < ladder.rungs.length; index++) {
    if (isEnabled(index) && (ladder.rungs[index]?.bandwidth ?? 0) < bandwidth) return false;
  }
  return true;
}

/**
 * segment-loader earlyAbortWhenNeeded_ with playlist-selectors minRebufferMaxBandwidthSelector:
 * while a segment downloads (checked on progress events from 1 s after the first byte), if the
 * rest would land after the buffer runs out (less 1 s), find the rung that rebuffers least —
 * the highest that would not rebuffer at all, else the one rebuffering least — judged by declared
 * BANDWIDTH × segment duration at the measured rate, and abort if switching saves ≥ 0.5 s
 * (≥ 1 s when already stalled). Returns the bandwidth VHS then sets (BANDWIDTH × 1.2 + 1), or
 * undefined to carry on.
 */
export function vhsEarlyAbortBandwidth(
  ladder: Ladder,
  currentRung: number,
  isEnabled: (rung: number) => boolean,
  progress: {
    receivedBits: number;
    measuredBandwidth: number;
    segmentDurationSec: number;
    timeUntilRebufferSec: number;
  },
): number | undefined {
  const { receivedBits, measuredBandwidth, segmentDurationSec, timeUntilRebufferSec } = progress;
  const current = ladder.rungs[currentRung];
  if (!current) return undefined;
  const requestTimeRemaining = (segmentDurationSec * current.bandwidth - receivedBits) / measuredBandwidth;
  if (requestTimeRemaining <= timeUntilRebufferSec) return undefined;
  const filter = ladder.rungs.some((_rung, index) => isEnabled(index)) ? isEnabled : ALL_ENABLED;
  const impactOf = (index: number): number =>
    (segmentDurationSec * (ladder.rungs[index]?.bandwidth ?? 0)) / measuredBandwidth - timeUntilRebufferSec;
  let leastImpact: number | undefined;
  let noRebuffer: number | undefined;
  for (let index = 0; index < ladder.rungs.length; index++) {
    if (!filter(index)) continue;
    // One request each: the model has no sync-point misses (VHS doubles the estimate for those).
    const impact = impactOf(index);
    const bandwidth = ladder.rungs[index]?.bandwidth ?? 0;
    if (impact <= 0 && (noRebuffer === undefined || bandwidth > (ladder.rungs[noRebuffer]?.bandwidth ?? 0))) {
      noRebuffer = index;
    }
    // With nothing measured every impact is Infinity and VHS' sort leaves master order: the first wins.
    if (leastImpact === undefined || impact < impactOf(leastImpact)) leastImpact = index;
  }
  const chosen = noRebuffer ?? leastImpact;
  if (chosen === undefined || chosen === currentRung) return undefined;
  const timeSaved = requestTimeRemaining - timeUntilRebufferSec - impactOf(chosen);
  const minimumTimeSaving = timeUntilRebufferSec <= TIME_FUDGE_FACTOR ? 1 : 0.5;
  // NaN (Infinity − Infinity) is not "< minimum" in VHS either: the abort goes ahead.
  if (timeSaved < minimumTimeSaving) return undefined;
  return (ladder.rungs[chosen]?.bandwidth ?? 0) * BANDWIDTH_VARIANCE + 1;
}

// ranges.js TIME_FUDGE_FACTOR: one frame at 30 fps.
const TIME_FUDGE_FACTOR = 1 / 30;

/** shouldSwitchToMedia for VOD without bufferBasedABR. */
export function vhsShouldSwitch(
  ladder: Ladder,
  currentRung: number | undefined,
  nextRung: number,
  forwardBufferSec: number,
  currentTimeSec: number,
  durationSec: number,
): boolean {
  if (currentRung === undefined) return true;
  if (nextRung === currentRung) return false;
  if (durationSec < MAX_BUFFER_LOW_WATER_LINE) return true;
  const nextBandwidth = ladder.rungs[nextRung]?.bandwidth ?? 0;
  const currentBandwidth = ladder.rungs[currentRung]?.bandwidth ?? 0;
  if (nextBandwidth < currentBandwidth) return true;
  return forwardBufferSec >= vhsBufferLowWaterLineSec(currentTimeSec);
}

export function createVhsPolicy(): AbrPolicy {
  return {
    name: 'vhs',
    // checkABR_('bandwidthupdate') announces itself as usage `vhs-rendition-change-bandwidthupdate`.
    switchReason: 'bandwidthupdate',
    earlyAbort: true,
    onlyWalkingForward: true,
    goalBufferSec: vhsGoalBufferSec,
    chooseRung(context: AbrContext) {
      const next = vhsSelectRung(
        context.ladder,
        context.estimator.systemBandwidth(),
        context.viewport,
        context.isEnabled,
      );
      const { currentRung } = context;
      return vhsShouldSwitch(
        context.ladder,
        currentRung,
        next,
        context.forwardBufferSec,
        context.currentTimeSec,
        context.durationSec,
      )
        ? next
        : (currentRung ?? next);
    },
  };
}
