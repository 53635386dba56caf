/** The ladders and audiences of the simulated proofs (all synthetic). */
import { type Audience, parseAudience } from '@streamloop/playback-model/audience';
import { constantLadder } from './simulated-experiment.js';

/** 240p … 1080p at 0.35 / 0.7 / 2.2 / 4.4 Mbit/s actual, as the playback model's README table. */
export const RUNGS = [
  { height: 240, declaredKbps: 400, actualKbps: 350 },
  { height: 360, declaredKbps: 800, actualKbps: 700 },
  { height: 720, declaredKbps: 2500, actualKbps: 2200 },
  { height: 1080, declaredKbps: 5000, actualKbps: 4400 },
];

/** A 60 s title: short sessions keep 200 experiments inside the test's CPU budget. */
export const controlLadder = constantLadder(RUNGS);
/** The arm that drops the two lowest rungs. */
export const withoutLowRungs = constantLadder(RUNGS.slice(2));
/** The same rungs, declared the same, 20 % fewer bytes (a better encode): cheaper at equal QoE. */
export const cheaperEncode = constantLadder(
  RUNGS.map((rung) => ({ ...rung, actualKbps: rung.actualKbps * 0.8 })),
);

const laptop = [{ name: 'laptop', share: 1, viewport: { width: 1280, height: 720 } }];

/** Four network classes, 3G among them; 1–3 sessions a viewer; some leave during a slow start. */
export function mixedAudience(viewers: number, shares: Record<string, number>): Audience {
  return parseAudience({
    viewers,
    titles: ['synthetic-title'],
    popularity: { zipfExponent: 1 },
    cohorts: Object.entries(shares).map(([networkClass, share]) => ({
      name: networkClass,
      share,
      network: { class: networkClass },
      devices: laptop,
      sessionsPerViewer: { min: 1, max: 3 },
      watch: { completionShare: 0.3, abandonHazardPerMin: 1, abandonStartupAfterMs: 8000 },
    })),
  });
}

export const AA_SHARES = { '3g': 0.2, 'puffer-2022': 0.3, 'wifi-oboe': 0.3, lte: 0.2 };
export const POWER_SHARES = { '3g': 0.25, 'puffer-2022': 0.25, 'wifi-oboe': 0.25, lte: 0.25 };
