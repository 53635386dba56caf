/**
 * Always-valid inference for a normal mean difference: the mixture sequential probability ratio test
 * (mSPRT) of Johari, Pekelis, Walsh, "Always Valid Inference: Continuous Monitoring of A/B Tests"
 * (Operations Research 70(3), 2022; arXiv:1512.04922, 2015/2017), with a normal mixing distribution.
 *
 * The estimate θ̂ is taken as N(θ, V) at every look (V from the delta method, per look). Mixing the
 * likelihood ratio over θ ~ N(θ₀, τ²) gives
 *
 *   Λ = √(V / (V + τ²)) · exp( τ² (θ̂ − θ₀)² / (2 V (V + τ²)) )
 *
 * a nonnegative martingale under θ₀, so by Ville's inequality P(∃ look: Λ ≥ 1/α) ≤ α however often
 * and whenever one looks. Hence the always-valid p-value p = min over looks of min(1, 1/Λ), and the
 * confidence sequence {θ₀ : Λ(θ₀) < 1/α}:
 *
 *   θ̂ ± √( V (V + τ²) / τ² · (2 log(1/α) + log((V + τ²) / V)) )
 *
 * whose running intersection covers θ at all looks at once with probability ≥ 1 − α.
 *
 * τ² (the mixing variance) is the scale of effects the test is tuned to find soonest; it does not
 * affect validity, only power. Callers here choose it on the relative-lift scale (see lift.ts).
 */
import { checkProbability, StatsInputError } from './errors.js';

export interface SequentialLook {
  estimate: number;
  /** Variance of the estimate at this look (> 0). */
  variance: number;
  /** τ² of the normal mixture, on the estimate's scale (> 0). */
  mixingVariance: number;
  alpha: number;
  /** θ₀; 0 unless testing against a margin. */
  nullValue?: number;
}

export interface AlwaysValid {
  /** Never increases from one look to the next (running minimum). */
  pValue: number;
  /** Confidence sequence: the running intersection of the per-look intervals. */
  lower: number;
  upper: number;
}

/** log Λ at one look. */
export function mixtureLogLikelihoodRatio(look: SequentialLook): number {
  checkLook(look);
  const v = look.variance;
  const t2 = look.mixingVariance;
  const d = look.estimate - (look.nullValue ?? 0);
  return 0.5 * Math.log(v / (v + t2)) + (t2 * d * d) / (2 * v * (v + t2));
}

/** Half-width of the confidence sequence at one look. */
export function confidenceSequenceHalfWidth(variance: number, mixingVariance: number, alpha: number): number {
  const v = variance;
  const t2 = mixingVariance;
  return Math.sqrt(((v * (v + t2)) / t2) * (2 * Math.log(1 / alpha) + Math.log((v + t2) / v)));
}

/** The p-value and interval of this look alone (combine looks with `updateAlwaysValid`). */
export function mixtureSprt(look: SequentialLook): AlwaysValid {
  const logLikelihoodRatio = mixtureLogLikelihoodRatio(look);
  const halfWidth = confidenceSequenceHalfWidth(look.variance, look.mixingVariance, look.alpha);
  return {
    pValue: Math.min(1, Math.exp(-logLikelihoodRatio)),
    lower: look.estimate - halfWidth,
    upper: look.estimate + halfWidth,
  };
}

/**
 * Carries the always-valid state from the previous look: the p-value is the running minimum and the
 * interval the running intersection. (An empty intersection can only happen in the ≤ α of runs
 * where the sequence has failed; it is kept as is — lower > upper — rather than hidden.)
 */
export function updateAlwaysValid(previous: AlwaysValid | undefined, current: AlwaysValid): AlwaysValid {
  if (!previous) return current;
  return {
    pValue: Math.min(previous.pValue, current.pValue),
    lower: Math.max(previous.lower, current.lower),
    upper: Math.min(previous.upper, current.upper),
  };
}

function checkLook(look: SequentialLook): void {
  if (!(look.variance > 0) || !Number.isFinite(look.variance))
    throw new StatsInputError('variance', `must be a finite number > 0, got ${look.variance}`);
  if (!(look.mixingVariance > 0) || !Number.isFinite(look.mixingVariance))
    throw new StatsInputError('mixingVariance', `must be a finite number > 0, got ${look.mixingVariance}`);
  if (!Number.isFinite(look.estimate))
    throw new StatsInputError('estimate', `must be a finite number, got ${look.estimate}`);
  checkProbability(look.alpha, 'alpha');
}
