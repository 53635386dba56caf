import { describe, expect, test } from 'vitest';
import { sampleRatioMismatch } from '../src/srm.js';

describe('sample-ratio mismatch (χ² goodness of fit)', () => {
  test.each([
    // χ² = 2 · 50² / 5000 = 1; P(χ²₁ > 1) = 2 (1 − Φ(1)) = 0.3173105.
    { observed: [5050, 4950], shares: [0.5, 0.5], chiSquare: 1, pValue: 0.3173105079, flagged: false },
    // χ² = 2 · 200² / 5000 = 16; P(χ²₁ > 16) = 2 (1 − Φ(4)) = 6.334248e-5.
    { observed: [5200, 4800], shares: [0.5, 0.5], chiSquare: 16, pValue: 6.334248367e-5, flagged: true },
    // Three arms, E = 333.3: χ² = (6.67² + 2 · 3.33²) / 333.3 = 0.2; P(χ²₂ > x) = e^(−x/2) = 0.9048374.
    {
      observed: [340, 330, 330],
      shares: [1 / 3, 1 / 3, 1 / 3],
      chiSquare: 0.2,
      pValue: 0.904837418,
      flagged: false,
    },
    // 90/10 split seen as 880/120: E = 900, 100; χ² = 400/900 + 400/100 = 4.444…; 2 (1 − Φ(2.1081851)) = 0.0350150.
    { observed: [880, 120], shares: [0.9, 0.1], chiSquare: 40 / 9, pValue: 0.035014981, flagged: false },
  ])('$observed against $shares', ({ observed, shares, chiSquare, pValue, flagged }) => {
    const result = sampleRatioMismatch(observed, shares);
    expect(result.chiSquare).toBeCloseTo(chiSquare, 9);
    expect(result.pValue).toBeCloseTo(pValue, 6);
    expect(result.pValue / pValue).toBeCloseTo(1, 4);
    expect(result.flagged).toBe(flagged);
    expect(result.degreesOfFreedom).toBe(observed.length - 1);
  });

  test.each([
    [[100], [1], 'observed'],
    [[100, 100], [0.5], 'shares'],
    [[100, 100], [0.6, 0.5], 'shares'],
    [[100, -1], [0.5, 0.5], 'observed[1]'],
    [[100, 1.5], [0.5, 0.5], 'observed[1]'],
    [[0, 0], [0.5, 0.5], 'observed'],
    [[10, 10], [1, 0], 'shares[0]'],
  ])('refuses %j with shares %j (field %s)', (observed, shares, field) => {
    expect(() => sampleRatioMismatch(observed, shares)).toThrow(
      expect.objectContaining({ code: 'ERR_STATS_INPUT', field }),
    );
  });
});
