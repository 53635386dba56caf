import { describe, expect, it } from 'vitest';
import { BdRateInputError, bdRate, type RatePoint } from '../../src/per-title/bd-rate.js';

/** Points on log10(kbps) = f(quality) at the given qualities. */
const curve = (qualities: readonly number[], logRate: (q: number) => number): RatePoint[] =>
  qualities.map((quality) => ({ quality, bitrateKbps: 10 ** logRate(quality) }));

const FIVE = [30, 33, 36, 38, 40];

describe('bdRate', () => {
  // Each expected value worked out by hand: the fits are exact for these polynomial curves, so
  // BD-rate = 10^(mean of test − anchor log-rate over the overlap) − 1.
  it.each([
    {
      name: 'the same curve at half the rate: −50 %',
      anchor: curve(FIVE, (q) => q / 10),
      test: curve(FIVE, (q) => q / 10 + Math.log10(0.5)),
      expected: -0.5,
      overlap: { from: 30, to: 40 },
    },
    {
      name: 'the same curve at twice the rate: +100 %',
      anchor: curve(FIVE, (q) => q / 10),
      test: curve(FIVE, (q) => q / 10 + Math.log10(2)),
      expected: 1,
      overlap: { from: 30, to: 40 },
    },
    {
      // Overlap 32–38; the ratio is 0.8 everywhere, so the narrower test range does not matter.
      name: '80 % of the rate over a narrower quality range (4 points, cubic): −20 %',
      anchor: curve(FIVE, (q) => q / 10),
      test: curve([32, 34, 36, 38], (q) => q / 10 + Math.log10(0.8)),
      expected: -0.2,
      overlap: { from: 32, to: 38 },
    },
    {
      // Difference 1.5 − q/20 averages 1.5 − 35/20 = −0.25 over 30–40: 10^−0.25 − 1 = −0.43766.
      name: 'a flatter curve that crosses the anchor: 10^−0.25 − 1',
      anchor: curve(FIVE, (q) => q / 10),
      test: curve(FIVE, (q) => q / 20 + 1.5),
      expected: 10 ** -0.25 - 1,
      overlap: { from: 30, to: 40 },
    },
    {
      // Two points each: straight lines; log-rate difference constant log10(0.75).
      name: 'two-rung ladders (linear fits): −25 %',
      anchor: curve([30, 40], (q) => 2 + q / 10),
      test: curve([31, 39], (q) => 2 + q / 10 + Math.log10(0.75)),
      expected: -0.25,
      overlap: { from: 31, to: 39 },
    },
    {
      // A cubic anchor (exactly fitted) and the same cubic at a third of the rate.
      name: 'a curved (cubic) anchor and the same curve at a third: −66.7 %',
      anchor: curve(FIVE, (q) => 0.001 * (q - 35) ** 3 + q / 10),
      test: curve([31, 34, 37, 39], (q) => 0.001 * (q - 35) ** 3 + q / 10 - Math.log10(3)),
      expected: 1 / 3 - 1,
      overlap: { from: 31, to: 39 },
    },
  ])('$name', ({ anchor, test, expected, overlap }) => {
    const result = bdRate(anchor, test);
    expect(result?.bdRate).toBeCloseTo(expected, 6);
    expect(result?.overlap).toEqual(overlap);
  });

  it('is null when the quality ranges do not overlap', () => {
    expect(
      bdRate(
        curve([30, 34], (q) => q / 10),
        curve([35, 40], (q) => q / 10),
      ),
    ).toBeNull();
  });

  it('does not depend on the order of the points', () => {
    const anchor = curve(FIVE, (q) => q / 10);
    const test = curve(FIVE, (q) => q / 10 + Math.log10(0.5));
    expect(bdRate([...anchor].reverse(), [...test].reverse())?.bdRate).toBeCloseTo(-0.5, 9);
  });

  it.each([
    { name: 'one point', points: [{ bitrateKbps: 100, quality: 30 }] },
    {
      name: 'a zero bitrate',
      points: [
        { bitrateKbps: 0, quality: 30 },
        { bitrateKbps: 100, quality: 35 },
      ],
    },
    {
      name: 'a single quality',
      points: [
        { bitrateKbps: 100, quality: 30 },
        { bitrateKbps: 200, quality: 30 },
      ],
    },
  ])('refuses $name', ({ points }) => {
    expect(() =>
      bdRate(
        points,
        curve(FIVE, (q) => q / 10),
      ),
    ).toThrow(BdRateInputError);
  });
});
