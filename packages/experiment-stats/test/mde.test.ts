import { describe, expect, test } from 'vitest';
import { minimumDetectableEffect, sampleForMde } from '../src/mde.js';

const fixed = { alpha: 0.05, power: 0.8 };
const sequential = { alpha: 0.05, power: 0.8, mixingRelativeSd: 0.1 };

describe('minimum detectable effect and the sample it needs', () => {
  test('fixed horizon: (z₀.₉₇₅ + z₀.₈) · SE on the log scale', () => {
    // (1.959964 + 0.841621) · 0.05 = 0.1400793; e^0.1400793 − 1 = 0.1503650, e^−0.1400793 − 1 = −0.1307107.
    const mde = minimumDetectableEffect(0.05, fixed);
    expect(mde.increase).toBeCloseTo(0.1503649742, 8);
    expect(mde.decrease).toBeCloseTo(-0.130710668, 8);
  });

  test('always valid: z₀.₈ · SE plus the confidence sequence half-width', () => {
    // V = 0.0025, τ² = ln(1.1)² = 0.00908403: h = √(V (V + τ²) / τ² · (2 ln 20 + ln((V + τ²) / V)))
    // = 0.1548845; + 0.841621 · 0.05 = 0.1969656 → +21.77 % / −17.88 %.
    const mde = minimumDetectableEffect(0.05, sequential);
    expect(mde.increase).toBeCloseTo(0.2177021559, 8);
    expect(mde.decrease).toBeCloseTo(-0.1787811205, 8);
    // Peeking at will costs sample: the always-valid MDE is larger than the one-look MDE.
    expect(mde.increase).toBeGreaterThan(minimumDetectableEffect(0.05, fixed).increase);
  });

  test('a guardrail needs the bound past its margin: ln(1.1) more on the log scale', () => {
    // e^(ln 1.1 + 0.1969656) − 1 = 1.1 · e^0.1969656 − 1 = 0.3394724.
    expect(minimumDetectableEffect(0.05, { ...sequential, margin: 0.1 }).increase).toBeCloseTo(0.33947237, 7);
  });

  test('fixed horizon sample: the textbook (z_α/2 + z_β)² σ² / δ²', () => {
    // SE 0.05 at 1000 viewers; δ = ln 1.1 = 0.0953102: scale = (0.1400793 / 0.0953102)² = 2.1600764.
    const needed = sampleForMde(0.1, { standardError: 0.05, viewers: 1000 }, fixed);
    expect(needed.scale).toBeCloseTo(2.1600763678, 7);
    expect(needed.viewers).toBe(2161);
  });

  test('always-valid sample: the effect that SE 0.05 detects needs 1×, at SE 0.1 4× the viewers', () => {
    const detectable = 0.21770215588401318; // from the hand computation above
    expect(sampleForMde(detectable, { standardError: 0.05, viewers: 1000 }, sequential).scale).toBeCloseTo(
      1,
      6,
    );
    expect(sampleForMde(detectable, { standardError: 0.1, viewers: 250 }, sequential).scale).toBeCloseTo(
      4,
      5,
    );
    // A decrease of the same log size is the same problem.
    expect(
      sampleForMde(-0.1787811205162631, { standardError: 0.05, viewers: 1000 }, sequential).scale,
    ).toBeCloseTo(1, 6);
  });

  test.each([
    ['effect', () => sampleForMde(0, { standardError: 0.05, viewers: 10 }, fixed)],
    ['effect', () => sampleForMde(0.05, { standardError: 0.05, viewers: 10 }, { ...fixed, margin: 0.1 })],
    ['viewers', () => sampleForMde(0.1, { standardError: 0.05, viewers: 0 }, fixed)],
    ['standardError', () => minimumDetectableEffect(0, fixed)],
    ['power', () => minimumDetectableEffect(0.05, { alpha: 0.05, power: 1 })],
    ['margin', () => minimumDetectableEffect(0.05, { ...fixed, margin: 1.5 })],
  ])('refuses a bad %s', (field, call) => {
    expect(call).toThrow(expect.objectContaining({ code: 'ERR_STATS_INPUT', field }));
  });
});
