/**
 * A quantile (p95 startup) of all views in an arm, with an interval that respects that one viewer's
 * views are correlated: Woodruff's interval with a clustered variance, as in Deng, Knoblich, Lu,
 * "Applying the Delta Method in Metric Analytics" (KDD 2018, the percentile-metric case; after
 * Woodruff, "Confidence intervals for medians and other position measures", JASA 1952).
 *
 * 1. Pool the N views, q̂ = the value at rank ⌈N p⌉ (1-based) of the sorted views.
 * 2. The share of views at or below q̂ is a ratio metric per viewer: X_i = views of viewer i with
 *    value ≤ q̂, Y_i = views of viewer i. Its delta-method variance σ² (viewer-level, viewer-metric.ts)
 *    is what an independent-views binomial p(1 − p)/N would understate.
 * 3. Interval: [value at rank ⌈N (p − z σ)⌉, value at rank ⌈N (p + z σ)⌉], ranks clamped to [1, N].
 * 4. Standard error of q̂ for comparing arms: (upper − lower) / (2 z) — the paper's way to avoid
 *    estimating the density at q̂.
 *
 * Deterministic: no resampling.
 */
import { standardNormalQuantile } from './distributions.js';
import { checkFinite, checkProbability, StatsInputError } from './errors.js';
import type { Interval } from './lift.js';
import { type ArmEstimate, armMoments, ratioEstimate } from './viewer-metric.js';

export interface QuantileEstimate extends ArmEstimate, Interval {
  /** Views pooled. */
  views: number;
}

export function quantileEstimate(
  viewerValues: readonly (readonly number[])[],
  p: number,
  alpha = 0.05,
  field = 'viewers',
): QuantileEstimate {
  checkProbability(p, 'p');
  checkProbability(alpha, 'alpha');
  let n = 0;
  for (const values of viewerValues) n += values.length;
  if (n === 0) throw new StatsInputError(field, 'has no views');
  // A typed array sorts numerically without a comparator call per pair: it is read at every look.
  const pooled = new Float64Array(n);
  let at = 0;
  viewerValues.forEach((values, i) => {
    values.forEach((value, j) => {
      checkFinite(value, `${field}[${i}][${j}]`);
      pooled[at++] = value;
    });
  });
  pooled.sort();
  const atRank = (rank: number): number => pooled[Math.min(n, Math.max(1, rank)) - 1] as number;
  const value = atRank(Math.ceil(n * p));

  const below = viewerValues.map((values) => ({
    numerator: values.filter((v) => v <= value).length,
    denominator: values.length,
  }));
  const share = ratioEstimate(armMoments(below, field), field);
  const z = standardNormalQuantile(1 - alpha / 2);
  const spread = z * Math.sqrt(share.variance);
  const lower = atRank(Math.ceil(n * (p - spread)));
  const upper = atRank(Math.ceil(n * (p + spread)));
  const standardError = (upper - lower) / (2 * z);
  return { value, variance: standardError * standardError, viewers: share.viewers, views: n, lower, upper };
}
