/**
 * BBA-0 (Huang et al., "A Buffer-Based Approach to Rate Adaptation", SIGCOMM 2014), the
 * buffer-based alternative: below the reservoir take the lowest rung, above reservoir + cushion the
 * highest, in between map the buffer linearly onto bandwidth, with the paper's hysteresis (move up
 * only past the next rung up, down only below the next rung down). The rungs it may use are capped
 * by the player size as VHS caps them, so the two policies compete on the same picture.
 */
import type { AbrContext, AbrPolicy } from './abr-policy.js';
import { vhsGoalBufferSec, vhsSelectRung } from './abr-vhs.js';

export interface BbaOptions {
  reservoirSec?: number;
  cushionSec?: number;
}

export function createBbaPolicy(options: BbaOptions = {}): AbrPolicy {
  const reservoirSec = options.reservoirSec ?? 5;
  const cushionSec = options.cushionSec ?? 20;
  return {
    name: 'bba',
    switchReason: 'abr',
    // VHS never early-aborts under its own buffer-based ABR either.
    earlyAbort: false,
    onlyWalkingForward: false,
    // Same loader as VHS: only the choice of rung differs.
    goalBufferSec: vhsGoalBufferSec,
    chooseRung(context: AbrContext) {
      const { ladder } = context;
      const cap =
        ladder.rungs[vhsSelectRung(ladder, Number.POSITIVE_INFINITY, context.viewport)]?.bandwidth ?? 0;
      const allowed = ladder.rungs
        .map((rung, index) => ({ index, bandwidth: rung.bandwidth }))
        .filter((rep) => rep.bandwidth <= cap)
        .sort((left, right) => left.bandwidth - right.bandwidth);
      const lowest = allowed[0];
      const highest = allowed[allowed.length - 1];
      if (!lowest || !highest) return 0;
      const position = allowed.findIndex((rep) => rep.index === context.currentRung);
      if (position < 0) return lowest.index;
      const buffer = context.forwardBufferSec;
      let target: number;
      if (buffer <= reservoirSec) target = lowest.bandwidth;
      else if (buffer >= reservoirSec + cushionSec) target = highest.bandwidth;
      else
        target =
          lowest.bandwidth + ((highest.bandwidth - lowest.bandwidth) * (buffer - reservoirSec)) / cushionSec;
      const up = allowed[Math.min(position + 1, allowed.length - 1)] ?? highest;
      const down = allowed[Math.max(position - 1, 0)] ?? lowest;
      if (target >= up.bandwidth && position < allowed.length - 1) {
        const below = allowed.filter((rep) => rep.bandwidth <= target);
        return (below[below.length - 1] ?? lowest).index;
      }
      if (target <= down.bandwidth && position > 0) {
        const above = allowed.filter((rep) => rep.bandwidth >= target);
        return (above[0] ?? highest).index;
      }
      return context.currentRung ?? lowest.index;
    },
  };
}
