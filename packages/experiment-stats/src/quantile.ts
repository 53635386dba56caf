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
import { type ArmEstimate, type ArmMoments, armMoments, ratioEstimate } from './viewer-metric.js';

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
  return woodruff(value, n, armMoments(below, field), atRank, p, alpha, field);
}

/** Steps 2–4 above, once q̂ is known: `share` holds each viewer's (views ≤ q̂, views). */
function woodruff(
  value: number,
  n: number,
  share: ArmMoments,
  atRank: (rank: number) => number,
  p: number,
  alpha: number,
  field: string,
): QuantileEstimate {
  const estimate = ratioEstimate(share, field);
  const z = standardNormalQuantile(1 - alpha / 2);
  const spread = z * Math.sqrt(estimate.variance);
  const lower = atRank(Math.ceil(n * (p - spread)));
  const upper = atRank(Math.ceil(n * (p + spread)));
  const standardError = (upper - lower) / (2 * z);
  return {
    value,
    variance: standardError * standardError,
    viewers: estimate.viewers,
    views: n,
    lower,
    upper,
  };
}

/** Views that join a cumulative sample look by look: view j is `values[j]`, of viewer `viewers[j]`, from look `looks[j]` on. */
export interface LookedViews {
  values: ArrayLike<number>;
  /** 0-based viewer indexes. */
  viewers: ArrayLike<number>;
  /** The first look (0-based) the view counts in. */
  looks: ArrayLike<number>;
}

/**
 * `quantileEstimate` at every look of a cumulative sample, without pooling and sorting each look's
 * views again: result k equals `quantileEstimate` over the views of looks 0..k, grouped by viewer
 * (viewers with none left out). Null at a look where fewer than two viewers have a view.
 *
 * The views are sorted once, highest first. At a look, q̂ and the interval's ends are high ranks, so
 * each is found by walking down from the top; the share below q̂ is kept as the views of each viewer
 * (Y_i, updated as views join) less those above q̂ (Z_i, counted on the same walk), whose moments
 * follow from ΣY, ΣY², ΣZ, ΣZ², ΣYZ: X_i = Y_i − Z_i. Work per look ∝ the views above the interval's
 * lower end, ~ (1 − p) of them for a p95.
 */
export function cumulativeQuantileEstimates(
  views: LookedViews,
  lookCount: number,
  p: number,
  alpha = 0.05,
  field = 'views',
): (QuantileEstimate | null)[] {
  checkProbability(p, 'p');
  checkProbability(alpha, 'alpha');
  const total = views.values.length;
  if (views.viewers.length !== total || views.looks.length !== total)
    throw new StatsInputError(field, 'values, viewers and looks must have the same length');
  let viewerCount = 0;
  const joining: number[][] = Array.from({ length: lookCount }, () => []);
  for (let j = 0; j < total; j++) {
    checkFinite(views.values[j] as number, `${field}.values[${j}]`);
    const viewer = views.viewers[j] as number;
    const look = views.looks[j] as number;
    if (!(Number.isInteger(viewer) && viewer >= 0))
      throw new StatsInputError(`${field}.viewers[${j}]`, `must be an integer ≥ 0, got ${viewer}`);
    if (!(Number.isInteger(look) && look >= 0 && look < lookCount))
      throw new StatsInputError(
        `${field}.looks[${j}]`,
        `must be an integer in [0, ${lookCount}), got ${look}`,
      );
    viewerCount = Math.max(viewerCount, viewer + 1);
    (joining[look] as number[]).push(j);
  }
  const values = views.values;
  const order = new Uint32Array(total);
  for (let j = 0; j < total; j++) order[j] = j;
  order.sort((a, b) => (values[b] as number) - (values[a] as number));

  const perViewer = new Float64Array(viewerCount); // Y_i
  const above = new Float64Array(viewerCount); // Z_i, reset after each look
  let viewers = 0;
  let sumY = 0;
  let sumY2 = 0;
  let n = 0;
  const results: (QuantileEstimate | null)[] = [];
  for (let look = 0; look < lookCount; look++) {
    for (const j of joining[look] as number[]) {
      const viewer = views.viewers[j] as number;
      const y = perViewer[viewer] as number;
      if (y === 0) viewers++;
      sumY += 1;
      sumY2 += 2 * y + 1;
      perViewer[viewer] = y + 1;
      n++;
    }
    if (viewers < 2) {
      results.push(null);
      continue;
    }
    /** The value at a 1-based ascending rank among the views so far (clamped to [1, n]). */
    const atRank = (rank: number): number => {
      const fromTop = n - Math.min(n, Math.max(1, rank)) + 1;
      let seen = 0;
      for (let i = 0; i < total; i++) {
        const j = order[i] as number;
        if ((views.looks[j] as number) <= look && ++seen === fromTop) return values[j] as number;
      }
      throw new Error('unreachable: fewer views than counted');
    };
    const value = atRank(Math.ceil(n * p));
    let sumZ = 0;
    let sumZ2 = 0;
    let sumYZ = 0;
    const touched: number[] = [];
    for (let i = 0; i < total; i++) {
      const j = order[i] as number;
      if ((values[j] as number) <= value) break;
      if ((views.looks[j] as number) > look) continue;
      const viewer = views.viewers[j] as number;
      const z = above[viewer] as number;
      if (z === 0) touched.push(viewer);
      above[viewer] = z + 1;
    }
    for (const viewer of touched) {
      const z = above[viewer] as number;
      sumZ += z;
      sumZ2 += z * z;
      sumYZ += (perViewer[viewer] as number) * z;
      above[viewer] = 0;
    }
    const share: ArmMoments = {
      viewers,
      sumNumerator: sumY - sumZ,
      sumDenominator: sumY,
      sumNumeratorSquared: sumY2 - 2 * sumYZ + sumZ2,
      sumDenominatorSquared: sumY2,
      sumProduct: sumY2 - sumYZ,
    };
    results.push(woodruff(value, n, share, atRank, p, alpha, field));
  }
  return results;
}
