import { describe, expect, test } from 'vitest';
import { StatsInputError } from '../src/errors.js';
import { armMoments, perViewerMean, ratioEstimate } from '../src/viewer-metric.js';

describe('ratio metrics at the viewer level (delta method)', () => {
  test('three viewers: Σ stall / Σ watch and its variance, by hand', () => {
    // x = (1, 3, 2), y = (2, 2, 4): R = 6 / 8 = 0.75; s_xx = 1, s_yy = 4/3, s_xy = 0, μ_y = 8/3.
    // Var = (s_xx − 2 R s_xy + R² s_yy) / (n μ_y²) = (1 + 0.5625 · 4/3) / (3 · 64/9) = 0.08203125.
    const estimate = ratioEstimate(
      armMoments([
        { numerator: 1, denominator: 2 },
        { numerator: 3, denominator: 2 },
        { numerator: 2, denominator: 4 },
      ]),
    );
    expect(estimate.value).toBeCloseTo(0.75, 12);
    expect(estimate.variance).toBeCloseTo(0.08203125, 12);
    expect(estimate.viewers).toBe(3);
  });

  test('a per-viewer mean is the plain mean with variance s² / n', () => {
    // (2, 4, 6, 8): mean 5, s² = 20 / 3, variance of the mean 20 / 12.
    const estimate = ratioEstimate(armMoments(perViewerMean([2, 4, 6, 8])));
    expect(estimate.value).toBe(5);
    expect(estimate.variance).toBeCloseTo(20 / 12, 12);
  });

  test('one viewer with many views weighs as one viewer: clustering widens the variance', () => {
    // Failed views / views. Clustered: one viewer failed 10 of 10, nine viewers 0 of 10.
    // Independent: the same 100 views as 100 one-view viewers. Same rate, 0.1.
    const clustered = ratioEstimate(
      armMoments([{ numerator: 10, denominator: 10 }, ...Array(9).fill({ numerator: 0, denominator: 10 })]),
    );
    const independent = ratioEstimate(
      armMoments([
        ...Array(10).fill({ numerator: 1, denominator: 1 }),
        ...Array(90).fill({ numerator: 0, denominator: 1 }),
      ]),
    );
    // Clustered, by hand: x = (10, 0 × 9), y ≡ 10: s_xx = (81 + 9 · 1) / 9 = 10, s_yy = s_xy = 0,
    // Var = 10 / (10 · 100) = 0.01. Independent: s_xx = (10 · 0.81 + 90 · 0.01) / 99 = 9 / 99,
    // Var = (9 / 99) / 100 = 0.000909….
    expect(clustered.value).toBeCloseTo(0.1, 12);
    expect(independent.value).toBeCloseTo(0.1, 12);
    expect(clustered.variance).toBeCloseTo(0.01, 12);
    expect(independent.variance).toBeCloseTo(9 / 9900, 12);
  });

  test.each([
    [
      [
        { numerator: 1, denominator: -1 },
        { numerator: 1, denominator: 1 },
      ],
      'viewers[0].denominator',
    ],
    [
      [
        { numerator: Number.NaN, denominator: 1 },
        { numerator: 1, denominator: 1 },
      ],
      'viewers[0].numerator',
    ],
  ])('bad viewer rows are refused with the field named (%#)', (rows, field) => {
    expect(() => armMoments(rows)).toThrow(StatsInputError);
    expect(() => armMoments(rows)).toThrow(field);
  });

  test('fewer than two viewers, or no denominator at all, has no variance to report', () => {
    const one = armMoments([{ numerator: 1, denominator: 1 }]);
    expect(() => ratioEstimate(one)).toThrow(
      expect.objectContaining({ code: 'ERR_STATS_INPUT', field: 'arm.viewers' }),
    );
    const none = armMoments([
      { numerator: 0, denominator: 0 },
      { numerator: 0, denominator: 0 },
    ]);
    expect(() => ratioEstimate(none)).toThrow(expect.objectContaining({ field: 'arm.denominator' }));
  });
});
