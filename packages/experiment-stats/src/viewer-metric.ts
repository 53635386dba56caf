/**
 * Viewer-level inputs. The viewer, not the view or the beacon, is the randomization unit (assignment
 * hashes the viewer id), so every metric is reduced to one (numerator, denominator) pair per viewer
 * and its variance is computed across viewers — the views of one viewer are not independent.
 *
 * - Ratio metric: rebuffer ratio = Σ stall ms / Σ watch ms; bits per viewer-hour = Σ bits / Σ watch h.
 * - Per-view binary: video start failure % = Σ failed views / Σ views (a ratio of counts).
 * - Per-viewer mean: each viewer's mean startup counts once — numerator the value, denominator 1
 *   (`perViewerMean`), and the ratio below is then the plain mean with its usual variance.
 *
 * An arm is summarized by five sums (`ArmMoments`), which a database can return directly
 * (`count()`, `sum(x)`, `sum(x*x)`, … over a per-viewer subquery) instead of every viewer's row.
 */
import { checkFinite, StatsInputError } from './errors.js';

export interface ViewerAggregate {
  numerator: number;
  /** ≥ 0. A viewer with 0 (no watch time yet) still counts as a viewer: it was randomized. */
  denominator: number;
}

export interface ArmMoments {
  viewers: number;
  sumNumerator: number;
  sumDenominator: number;
  sumNumeratorSquared: number;
  sumDenominatorSquared: number;
  sumProduct: number;
}

/** A metric's value in one arm and the variance of that value (not of a viewer). */
export interface ArmEstimate {
  value: number;
  variance: number;
  viewers: number;
}

export function perViewerMean(values: readonly number[]): ViewerAggregate[] {
  return values.map((value) => ({ numerator: value, denominator: 1 }));
}

export function armMoments(viewers: readonly ViewerAggregate[], field = 'viewers'): ArmMoments {
  const moments: ArmMoments = {
    viewers: 0,
    sumNumerator: 0,
    sumDenominator: 0,
    sumNumeratorSquared: 0,
    sumDenominatorSquared: 0,
    sumProduct: 0,
  };
  viewers.forEach((viewer, i) => {
    checkFinite(viewer.numerator, `${field}[${i}].numerator`);
    checkFinite(viewer.denominator, `${field}[${i}].denominator`);
    if (viewer.denominator < 0) throw new StatsInputError(`${field}[${i}].denominator`, 'must be ≥ 0');
    moments.viewers++;
    moments.sumNumerator += viewer.numerator;
    moments.sumDenominator += viewer.denominator;
    moments.sumNumeratorSquared += viewer.numerator * viewer.numerator;
    moments.sumDenominatorSquared += viewer.denominator * viewer.denominator;
    moments.sumProduct += viewer.numerator * viewer.denominator;
  });
  return moments;
}

/**
 * R = ΣX / ΣY over n viewers and its delta-method variance (Deng, Knoblich, Lu, "Applying the Delta
 * Method in Metric Analytics", KDD 2018, the ratio-metric case):
 *
 *   Var(R) ≈ (1 / (n μ_Y²)) · (s_XX − 2 R s_XY + R² s_YY)
 *
 * with μ_Y = ΣY / n and s the sample (n − 1) variances and covariance across viewers. With Y ≡ 1 it
 * is the sample variance of the mean, s_XX / n.
 */
export function ratioEstimate(moments: ArmMoments, field = 'arm'): ArmEstimate {
  const n = moments.viewers;
  if (n < 2) throw new StatsInputError(`${field}.viewers`, `needs at least 2 viewers, got ${n}`);
  if (!(moments.sumDenominator > 0)) throw new StatsInputError(`${field}.denominator`, 'sums to 0');
  const meanX = moments.sumNumerator / n;
  const meanY = moments.sumDenominator / n;
  const ratio = moments.sumNumerator / moments.sumDenominator;
  const sXX = (moments.sumNumeratorSquared - n * meanX * meanX) / (n - 1);
  const sYY = (moments.sumDenominatorSquared - n * meanY * meanY) / (n - 1);
  const sXY = (moments.sumProduct - n * meanX * meanY) / (n - 1);
  // Rounding in the raw sums can leave a hair below 0 when every viewer is alike.
  const variance = Math.max(0, (sXX - 2 * ratio * sXY + ratio * ratio * sYY) / (n * meanY * meanY));
  return { value: ratio, variance, viewers: n };
}
