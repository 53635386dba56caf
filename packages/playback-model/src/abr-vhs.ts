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

// Sorted once per ladder: selection runs after every segment of every simulated session.
const sortedByLadder = new WeakMap<Ladder, Rep[]>();

function sortedReps(ladder: Ladder): Rep[] {
  let sorted = sortedByLadder.get(ladder);
  if (!sorted) {
    // Array sort is stable, so equal bandwidths keep ladder order, as VHS' stableSort does.
    sorted = ladder.rungs
      .map((rung, index) => ({ index, bandwidth: rung.bandwidth, width: rung.width, height: rung.height }))
      .sort((left, right) => left.bandwidth - right.bandwidth);
    sortedByLadder.set(ladder, sorted);
  }
  return sorted;
}

/**
 * simpleSelector with limitRenditionByPlayerDimensions on (the SDK's setting) and no
 * leastPixelDiffSelector or object-fit: cover. Returns a rung index. The affordable rungs are a
 * prefix of the bandwidth order, so VHS' filter-and-sort chain becomes two passes over it.
 */
export function vhsSelectRung(ladder: Ladder, bandwidth: number, viewport: Viewport): number {
  const sorted = sortedReps(ladder);
  let affordable = 0;
  while (affordable < sorted.length && (sorted[affordable]?.bandwidth ?? 0) * BANDWIDTH_VARIANCE < bandwidth)
    affordable++;
  if (affordable === 0) return sorted[0]?.index ?? 0;

  // Exact player size: the highest bandwidth, first of equals.
  let exact: Rep | undefined;
  // Smallest rung larger than the player in either dimension (first of the narrowest).
  let plusOneSize: Rep | undefined;
  for (let i = 0; i < affordable; i++) {
    const rep = sorted[i] as Rep;
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
      if (
        rep.width === plusOneSize.width &&
        rep.height === plusOneSize.height &&
        rep.bandwidth > best.bandwidth
      )
        best = rep;
    }
    return best.index;
  }
  // Highest affordable bandwidth, first of equals.
  const top = (sorted[affordable - 1] as Rep).bandwidth;
  for (let i = 0; i < affordable; i++)
    if ((sorted[i] as Rep).bandwidth === top) return (sorted[i] as Rep).index;
  return sorted[0]?.index ?? 0;
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
