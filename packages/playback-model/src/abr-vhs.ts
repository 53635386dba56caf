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

/**
 * simpleSelector with limitRenditionByPlayerDimensions on (the SDK's setting) and no
 * leastPixelDiffSelector or object-fit: cover. Returns a rung index.
 */
export function vhsSelectRung(ladder: Ladder, bandwidth: number, viewport: Viewport): number {
  // Sorted by bandwidth; sort is stable so equal bandwidths keep ladder order, as VHS' stableSort.
  const sorted: Rep[] = ladder.rungs
    .map((rung, index) => ({ index, bandwidth: rung.bandwidth, width: rung.width, height: rung.height }))
    .sort((left, right) => left.bandwidth - right.bandwidth);
  const affordable = sorted.filter((rep) => rep.bandwidth * BANDWIDTH_VARIANCE < bandwidth);
  const highest = affordable[affordable.length - 1];
  const bandwidthBest = highest && affordable.find((rep) => rep.bandwidth === highest.bandwidth);

  const byWidth = affordable
    .filter((rep) => rep.width && rep.height)
    .sort((left, right) => left.width - right.width);
  const exact = byWidth.filter((rep) => rep.width === viewport.width && rep.height === viewport.height);
  const exactHighest = exact[exact.length - 1];
  const resolutionBest = exactHighest && exact.find((rep) => rep.bandwidth === exactHighest.bandwidth);

  let resolutionPlusOne: Rep | undefined;
  if (!resolutionBest) {
    // Scaled down to fit as soon as it exceeds the player in one dimension.
    const larger = byWidth.filter((rep) => rep.width > viewport.width || rep.height > viewport.height);
    const smallest = larger[0];
    if (smallest) {
      const sameSize = larger.filter((rep) => rep.width === smallest.width && rep.height === smallest.height);
      const top = sameSize[sameSize.length - 1];
      resolutionPlusOne = top && sameSize.find((rep) => rep.bandwidth === top.bandwidth);
    }
  }
  const chosen = resolutionPlusOne ?? resolutionBest ?? bandwidthBest ?? sorted[0];
  return chosen?.index ?? 0;
}

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
    goalBufferSec: vhsGoalBufferSec,
    chooseRung(context: AbrContext) {
      const next = vhsSelectRung(context.ladder, context.estimator.systemBandwidth(), context.viewport);
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
