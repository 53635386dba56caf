import { describe, expect, test } from 'vitest';
import { compareArms, isSignificant } from '../src/lift.js';
import type { ArmEstimate } from '../src/viewer-metric.js';

const arm = (overrides: Partial<ArmEstimate> = {}): ArmEstimate => ({
  value: 0.5,
  variance: 0.0004,
  viewers: 1000,
  ...overrides,
});

describe('lift vs control', () => {
  test('relative lift, fixed-horizon interval and always-valid interval, by hand', () => {
    // C = 0.5 (Var 0.0004), T = 0.6 (Var 0.0009): θ̂ = ln 1.2 = 0.1823216, Var = 0.0009/0.36 + 0.0004/0.25
    // = 0.0041, SE = 0.0640312. Fixed: p = 2(1 − Φ(2.847397)) = 0.004408, interval
    // exp(θ̂ ± 1.959964 SE) − 1 = [0.058468, 0.360457]. mSPRT with τ = ln 1.1: log Λ = 2.2091295,
    // p = 0.1097962, half-width 0.2056; interval [−0.0237945, 0.4750993].
    const lift = compareArms(arm(), arm({ value: 0.6, variance: 0.0009 }));
    expect(lift.relativeLift).toBeCloseTo(0.2, 12);
    expect(lift.absoluteDifference).toBeCloseTo(0.1, 12);
    expect(lift.logRatioStandardError).toBeCloseTo(0.0640312424, 9);
    expect(lift.fixedHorizon.pValue).toBeCloseTo(0.0044080109, 8);
    expect(lift.fixedHorizon.lower).toBeCloseTo(0.058468051, 8);
    expect(lift.fixedHorizon.upper).toBeCloseTo(0.3604567456, 8);
    expect(lift.alwaysValid.pValue).toBeCloseTo(0.1097961852, 8);
    expect(lift.alwaysValid.lower).toBeCloseTo(-0.0237945358, 8);
    expect(lift.alwaysValid.upper).toBeCloseTo(0.4750993032, 8);
    // What "always valid" costs at one look: significant for a one-look test, not yet here.
    expect(lift.fixedHorizon.pValue).toBeLessThan(0.05);
    expect(isSignificant(lift.alwaysValid)).toBe(false);
    expect(lift.looked).toBe(true);
  });

  test('later looks carry the running minimum p-value and the intersected interval', () => {
    const first = compareArms(arm(), arm({ value: 0.6, variance: 0.0009 }));
    const later = compareArms(arm({ value: 0.5 }), arm({ value: 0.5 }), {}, first.alwaysValid);
    expect(later.alwaysValid.pValue).toBe(first.alwaysValid.pValue);
    expect(later.alwaysValid.lower).toBe(first.alwaysValid.lower);
    expect(later.alwaysValid.upper).toBeLessThan(first.alwaysValid.upper);
  });

  test.each([
    ['too-few-viewers', arm({ viewers: 99 }), arm()],
    ['zero-value', arm({ value: 0 }), arm()],
    ['no-variance', arm({ variance: 0 }), arm({ variance: 0 })],
  ] as const)('no look is taken when %s, and the previous state stands', (reason, control, treatment) => {
    const previous = { pValue: 0.3, lower: -0.1, upper: 0.2 };
    const lift = compareArms(control, treatment, {}, previous);
    expect(lift.looked).toBe(false);
    expect(lift.noLookReason).toBe(reason);
    expect(lift.alwaysValid).toEqual(previous);
  });

  test('a look skipped before any other leaves [−100 %, ∞), and the next look starts from it cleanly', () => {
    const skipped = compareArms(arm({ viewers: 10 }), arm({ viewers: 10 }));
    expect(skipped.alwaysValid).toEqual({ pValue: 1, lower: -1, upper: Infinity });
    const next = compareArms(arm(), arm({ value: 0.6, variance: 0.0009 }), {}, skipped.alwaysValid);
    // The same numbers as the first look computed by hand above.
    expect(next.alwaysValid.lower).toBeCloseTo(-0.0237945358, 8);
    expect(next.alwaysValid.upper).toBeCloseTo(0.4750993032, 8);
  });

  test.each([
    ['control.variance', arm({ variance: -1 }), arm()],
    ['control.value', arm({ value: Number.NaN }), arm()],
    ['treatment.viewers', arm(), arm({ viewers: 1.5 })],
  ] as const)('refuses an arm with a bad %s', (field, control, treatment) => {
    expect(() => compareArms(control, treatment)).toThrow(
      expect.objectContaining({ code: 'ERR_STATS_INPUT', field }),
    );
  });

  test('refuses a bad alpha or mixing scale', () => {
    expect(() => compareArms(arm(), arm(), { alpha: 0 })).toThrow(
      expect.objectContaining({ field: 'alpha' }),
    );
    expect(() => compareArms(arm(), arm(), { mixingRelativeSd: 0 })).toThrow(
      expect.objectContaining({ field: 'mixingRelativeSd' }),
    );
  });
});
