/**
 * Guardrails: a one-sided, sequential non-inferiority test with a relative margin. "Rebuffer ratio
 * must not get more than 10 % worse" is `{ margin: 0.1, worse: 'higher' }`.
 *
 * The harm h is the relative lift in the bad direction. With the always-valid confidence sequence
 * [L, U] of the relative lift (mixture-sprt.ts), mapped to harm:
 *
 *   breached      L_h > margin   (the arm is worse than tolerated; H₀: h ≤ margin rejected)
 *   ok            U_h < margin   (non-inferiority shown; H₀: h ≥ margin rejected)
 *   inconclusive  otherwise
 *
 * Each one-sided statement holds at level α at every look, because the two-sided sequence covers
 * both sides at 1 − α (conservative: a one-sided mixture would need a little less data).
 * Non-inferiority with a margin follows e.g. Schultzberg, Ankargren, Frånberg, "Risk-aware product
 * decisions in A/B tests with multiple metrics" (2024).
 */
import { StatsInputError } from './errors.js';
import type { Lift } from './lift.js';

export interface Guardrail {
  /** Relative harm tolerated (> 0): 0.1 = 10 % worse. */
  margin: number;
  /** Which direction is harm: 'higher' for rebuffer ratio or startup, 'lower' for bitrate. */
  worse: 'higher' | 'lower';
}

export type GuardrailStatus = 'breached' | 'ok' | 'inconclusive';

export interface GuardrailVerdict {
  status: GuardrailStatus;
  /** The confidence sequence of the harm (relative, positive = worse). */
  harmLower: number;
  harmUpper: number;
  /** One line for the event log and the dashboard. */
  reason: string;
}

export function guardrailVerdict(guardrail: Guardrail, lift: Pick<Lift, 'alwaysValid'>): GuardrailVerdict {
  if (!(guardrail.margin > 0) || !Number.isFinite(guardrail.margin))
    throw new StatsInputError('margin', `must be a finite number > 0, got ${guardrail.margin}`);
  if (guardrail.worse !== 'higher' && guardrail.worse !== 'lower')
    throw new StatsInputError('worse', `must be "higher" or "lower", got ${String(guardrail.worse)}`);
  const { lower, upper } = lift.alwaysValid;
  const harmLower = guardrail.worse === 'higher' ? lower : -upper;
  const harmUpper = guardrail.worse === 'higher' ? upper : -lower;
  const margin = percent(guardrail.margin);
  const range = `harm in [${percent(harmLower)}, ${percent(harmUpper)}]`;
  if (harmLower > guardrail.margin)
    return {
      status: 'breached',
      harmLower,
      harmUpper,
      reason: `${range}, entirely beyond the ${margin} margin`,
    };
  if (harmUpper < guardrail.margin)
    return { status: 'ok', harmLower, harmUpper, reason: `${range}, entirely within the ${margin} margin` };
  return { status: 'inconclusive', harmLower, harmUpper, reason: `${range} straddles the ${margin} margin` };
}

function percent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)} %` : value > 0 ? '+∞' : '−∞';
}
