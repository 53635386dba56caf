/**
 * The distribution functions every statistic here uses, from stdlib (maintained, tested against
 * reference implementations) rather than hand-rolled approximations.
 */
import chiSquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/** Φ(z). */
export function standardNormalCdf(z: number): number {
  return normalCdf(z, 0, 1);
}

/** Φ⁻¹(p). */
export function standardNormalQuantile(p: number): number {
  return normalQuantile(p, 0, 1);
}

/** P(χ²_df > x). */
export function chiSquareSurvival(x: number, degreesOfFreedom: number): number {
  return 1 - chiSquareCdf(x, degreesOfFreedom);
}
