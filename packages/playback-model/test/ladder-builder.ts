import type { Ladder, Rung } from '../src/ladder.js';

/** Four rungs of 4 s segments at a steady size: 240p 350 kbit/s actual … 1080p 4.4 Mbit/s actual. */
export const RUNGS = [
  { bandwidth: 400_000, width: 426, height: 240, bytes: 175_000 },
  { bandwidth: 800_000, width: 640, height: 360, bytes: 350_000 },
  { bandwidth: 2_500_000, width: 1280, height: 720, bytes: 1_100_000 },
  { bandwidth: 5_000_000, width: 1920, height: 1080, bytes: 2_200_000 },
] as const;

export const P240 = 0;
export const P360 = 1;
export const P720 = 2;
export const P1080 = 3;

export function makeLadder(
  overrides: { segmentCount?: number; segmentSec?: number; rungs?: Rung[] } = {},
): Ladder {
  const segmentCount = overrides.segmentCount ?? 30;
  const segmentSec = overrides.segmentSec ?? 4;
  return {
    rungs:
      overrides.rungs ??
      RUNGS.map((rung) => ({
        bandwidth: rung.bandwidth,
        width: rung.width,
        height: rung.height,
        segments: Array.from({ length: segmentCount }, () => ({
          durationSec: segmentSec,
          bytes: rung.bytes,
        })),
      })),
  };
}
