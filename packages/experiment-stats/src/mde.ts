/**
 * Minimum detectable effect at the current sample, and the sample an MDE needs ("how many watch-hours
 * per arm"). Inference runs on log(T / C) (lift.ts), so SE here is `Lift.logRatioStandardError` and
 * effects are given and returned as relative lifts (+20 % = 0.2, −20 % = −0.2).
 *
 * Fixed horizon (one look, two-sided α, power 1 − β), on the log scale:
 *   MDE = (z_{1−α/2} + z_{1−β}) · SE
 *
 * Always valid (what this package's decisions use): an effect is declared once the confidence
 * sequence excludes 0, i.e. once |θ̂| > h(V), h the half-width of mixture-sprt.ts. At the final look
 * θ̂ ~ N(θ, V), so P(|θ̂| > h) ≥ 1 − β once |θ| ≥ z_{1−β} · √V + h(V):
 *   MDE_seq = z_{1−β} · SE + √( V (V + τ²) / τ² · (2 log(1/α) + log((V + τ²) / V)) ),  V = SE²
 * — conservative, since a run may also cross at an earlier look. A guardrail is breached only once
 * the bound clears the margin, so its MDE is |log(1 ± margin)| + MDE_seq.
 *
 * For a fixed split the variance falls as 1 / viewers, so the viewers (and watch hours, which grow with
 * them) an MDE needs are today's × V_today / V_needed: closed form for the fixed horizon, bisection for
 * the sequential form (MDE_seq falls monotonically with the sample).
 */
import { standardNormalQuantile } from './distributions.js';
import { checkProbability, StatsInputError } from './errors.js';
import { confidenceSequenceHalfWidth } from './mixture-sprt.js';

export interface MdeOptions {
  alpha: number;
  /** 1 − β. */
  power: number;
  /** τ of the mixture as a relative lift (lift.ts' `mixingRelativeSd`); omit for the fixed horizon. */
  mixingRelativeSd?: number;
  /** For guardrails: the relative harm tolerated, which the effect must clear. Default 0. */
  margin?: number;
}

/** The smallest detectable change on the log scale, before any margin. */
function logScaleMde(standardError: number, options: MdeOptions): number {
  if (!(standardError > 0) || !Number.isFinite(standardError))
    throw new StatsInputError('standardError', `must be a finite number > 0, got ${standardError}`);
  checkProbability(options.alpha, 'alpha');
  checkProbability(options.power, 'power');
  const zPower = standardNormalQuantile(options.power);
  if (options.mixingRelativeSd === undefined)
    return (standardNormalQuantile(1 - options.alpha / 2) + zPower) * standardError;
  if (!(options.mixingRelativeSd > 0)) throw new StatsInputError('mixingRelativeSd', 'must be > 0');
  const tau = Math.log1p(options.mixingRelativeSd);
  return zPower * standardError + confidenceSequenceHalfWidth(standardError ** 2, tau * tau, options.alpha);
}

function marginOnLogScale(margin: number | undefined, sign: 1 | -1): number {
  if (margin === undefined || margin === 0) return 0;
  if (!(margin > 0 && margin < 1)) throw new StatsInputError('margin', `must be in (0, 1), got ${margin}`);
  return Math.abs(Math.log1p(sign * margin));
}

/** The smallest increase and decrease detectable with power 1 − β at this standard error. */
export function minimumDetectableEffect(
  standardError: number,
  options: MdeOptions,
): { increase: number; decrease: number } {
  const m = logScaleMde(standardError, options);
  return {
    increase: Math.expm1(marginOnLogScale(options.margin, 1) + m),
    decrease: Math.expm1(-(marginOnLogScale(options.margin, -1) + m)),
  };
}

export interface SampleNeeded {
  /** Needed / today: multiply viewers, views or watch hours by it (same split, same mix). */
  scale: number;
  viewers: number;
}

/**
 * How many viewers (in total, split as today) detect a relative `effect` (signed) given that `viewers`
 * viewers give the log ratio a standard error of `standardError` today.
 */
export function sampleForMde(
  effect: number,
  today: { standardError: number; viewers: number },
  options: MdeOptions,
): SampleNeeded {
  if (!(effect > -1) || effect === 0 || !Number.isFinite(effect))
    throw new StatsInputError('effect', `must be a relative change in (−1, ∞) other than 0, got ${effect}`);
  if (!(today.viewers > 0)) throw new StatsInputError('viewers', 'must be > 0');
  const sign = effect > 0 ? 1 : -1;
  const target = Math.abs(Math.log1p(effect)) - marginOnLogScale(options.margin, sign);
  if (!(target > 0))
    throw new StatsInputError('effect', `${effect} does not clear the margin ${options.margin}`);
  const mdeAt = (scale: number): number => logScaleMde(today.standardError / Math.sqrt(scale), options);
  let scale: number;
  if (options.mixingRelativeSd === undefined) {
    scale = (mdeAt(1) / target) ** 2;
  } else {
    let low = 1;
    let high = 1;
    while (mdeAt(high) > target) {
      high *= 2;
      if (high > 1e12) throw new StatsInputError('effect', `${effect} is out of reach`);
    }
    while (mdeAt(low) <= target) low /= 2;
    for (let i = 0; i < 200 && high / low > 1 + 1e-12; i++) {
      const mid = Math.sqrt(low * high);
      if (mdeAt(mid) > target) low = mid;
      else high = mid;
    }
    scale = high;
  }
  return { scale, viewers: Math.ceil(today.viewers * scale) };
}
