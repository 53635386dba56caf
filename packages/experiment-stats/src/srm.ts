/**
 * Sample-ratio mismatch: are the viewers (or views) per arm what the configured split predicts? A
 * mismatch means assignment or logging is broken and no lift can be trusted (Fabijan et al.,
 * "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments", KDD 2019).
 *
 * Pearson's χ² goodness of fit: E_i = N · share_i, χ² = Σ (O_i − E_i)² / E_i with k − 1 degrees of
 * freedom; flagged at p < 0.001, the threshold the paper's practitioners use, so that a check run at
 * every look rarely cries wolf.
 */
import { chiSquareSurvival } from './distributions.js';
import { StatsInputError } from './errors.js';

export const SRM_THRESHOLD = 0.001;
const SHARE_TOLERANCE = 1e-9;

export interface SrmResult {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
  flagged: boolean;
  expected: number[];
}

export function sampleRatioMismatch(observed: readonly number[], shares: readonly number[]): SrmResult {
  if (observed.length < 2) throw new StatsInputError('observed', 'needs at least 2 arms');
  if (shares.length !== observed.length)
    throw new StatsInputError('shares', `has ${shares.length} entries for ${observed.length} arms`);
  observed.forEach((count, i) => {
    if (!(Number.isInteger(count) && count >= 0))
      throw new StatsInputError(`observed[${i}]`, `must be an integer ≥ 0, got ${count}`);
  });
  shares.forEach((share, i) => {
    if (!(share > 0 && share < 1))
      throw new StatsInputError(`shares[${i}]`, `must be in (0, 1), got ${share}`);
  });
  const sum = shares.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > SHARE_TOLERANCE) throw new StatsInputError('shares', `add up to ${sum}, not 1`);
  const total = observed.reduce((a, b) => a + b, 0);
  if (total === 0) throw new StatsInputError('observed', 'all counts are 0');
  const expected = shares.map((share) => total * share);
  let chiSquare = 0;
  observed.forEach((count, i) => {
    const e = expected[i] as number;
    chiSquare += ((count - e) * (count - e)) / e;
  });
  const degreesOfFreedom = observed.length - 1;
  const pValue = chiSquareSurvival(chiSquare, degreesOfFreedom);
  return { chiSquare, degreesOfFreedom, pValue, flagged: pValue < SRM_THRESHOLD, expected };
}
