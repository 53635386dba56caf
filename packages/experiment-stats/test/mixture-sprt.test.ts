import { describe, expect, test } from 'vitest';
import { mixtureLogLikelihoodRatio, mixtureSprt, updateAlwaysValid } from '../src/mixture-sprt.js';

describe('mixture SPRT (Johari, Pekelis, Walsh)', () => {
  test('Λ, the p-value and the confidence sequence of one look, by hand', () => {
    // V = 1, τ² = 1, θ̂ = 2: log Λ = ½ log(1/2) + 1 · 4 / (2 · 1 · 2) = 0.6534264097…,
    // p = exp(−0.6534264) = 0.5202601; half-width √(1 · 2 / 1 · (2 log 20 + log 2)) = 3.6563949.
    const look = { estimate: 2, variance: 1, mixingVariance: 1, alpha: 0.05 };
    expect(mixtureLogLikelihoodRatio(look)).toBeCloseTo(0.6534264097, 9);
    const result = mixtureSprt(look);
    expect(result.pValue).toBeCloseTo(0.520260095, 8);
    expect(result.lower).toBeCloseTo(2 - 3.6563948714, 8);
    expect(result.upper).toBeCloseTo(2 + 3.6563948714, 8);
  });

  test('the p-value reaches α exactly where the interval ends', () => {
    // At θ̂ − θ₀ = half-width, Λ = 1/α by construction of the sequence.
    const at = mixtureSprt({ estimate: 3.6563948713638483, variance: 1, mixingVariance: 1, alpha: 0.05 });
    expect(at.pValue).toBeCloseTo(0.05, 9);
  });

  test('a weak look never undoes an earlier strong one', () => {
    const strong = { pValue: 0.01, lower: 0.1, upper: 0.5 };
    const weak = { pValue: 0.4, lower: -0.2, upper: 0.3 };
    expect(updateAlwaysValid(strong, weak)).toEqual({ pValue: 0.01, lower: 0.1, upper: 0.3 });
    expect(updateAlwaysValid(undefined, weak)).toEqual(weak);
  });

  test.each([
    ['variance', { estimate: 0, variance: 0, mixingVariance: 1, alpha: 0.05 }],
    ['mixingVariance', { estimate: 0, variance: 1, mixingVariance: -1, alpha: 0.05 }],
    ['alpha', { estimate: 0, variance: 1, mixingVariance: 1, alpha: 1 }],
    ['estimate', { estimate: Number.POSITIVE_INFINITY, variance: 1, mixingVariance: 1, alpha: 0.05 }],
  ])('refuses a bad %s', (field, look) => {
    expect(() => mixtureSprt(look)).toThrow(expect.objectContaining({ code: 'ERR_STATS_INPUT', field }));
  });
});
