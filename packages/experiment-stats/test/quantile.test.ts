import { describe, expect, test } from 'vitest';
import { cumulativeQuantileEstimates, quantileEstimate } from '../src/quantile.js';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe('p95 with a viewer-clustered Woodruff interval', () => {
  test('100 viewers with one view each: 1 … 100', () => {
    // q̂ = rank ⌈95⌉ = 95. X_i = [value ≤ 95]: s² = (95 · 0.05² + 5 · 0.95²) / 99 = 0.0479798,
    // σ = √(s² / 100) = 0.0219043; p ± 1.959964 σ = 0.907069, 0.992931 → ranks 91, 100.
    // SE = (100 − 91) / (2 · 1.959964) = 2.2959606.
    const estimate = quantileEstimate(
      oneToHundred.map((v) => [v]),
      0.95,
    );
    expect(estimate.value).toBe(95);
    expect(estimate.lower).toBe(91);
    expect(estimate.upper).toBe(100);
    expect(Math.sqrt(estimate.variance)).toBeCloseTo(2.2959605562, 8);
    expect(estimate.views).toBe(100);
  });

  test('four identical views per viewer are no more information than one: the interval stays as wide', () => {
    // 100 viewers, each watching 4 times with the same startup: X_i ∈ {0, 4}, Y_i = 4 → σ as above
    // (0.0219043); N = 400, ranks ⌈362.83⌉ = 363 and ⌈397.17⌉ = 398 → values 91 and 100.
    const clustered = quantileEstimate(
      oneToHundred.map((v) => [v, v, v, v]),
      0.95,
    );
    expect([clustered.value, clustered.lower, clustered.upper]).toEqual([95, 91, 100]);
    // The same 400 views from 400 one-view viewers: s² = (380 · 0.05² + 20 · 0.95²) / 399, σ = 0.0109109,
    // ranks ⌈371.45⌉ = 372 and ⌈388.55⌉ = 389 → values 93 and 98: an independent-views interval
    // would claim twice the precision.
    const independent = quantileEstimate(
      oneToHundred.flatMap((v) => [[v], [v], [v], [v]]),
      0.95,
    );
    expect([independent.value, independent.lower, independent.upper]).toEqual([95, 93, 98]);
    expect(clustered.variance).toBeGreaterThan(independent.variance);
  });

  test('bad input names the field', () => {
    expect(() => quantileEstimate([[1], []], 0.95)).not.toThrow();
    expect(() => quantileEstimate([], 0.95)).toThrow(
      expect.objectContaining({ code: 'ERR_STATS_INPUT', field: 'viewers' }),
    );
    expect(() => quantileEstimate([[1, Number.NaN]], 0.95)).toThrow(
      expect.objectContaining({ field: 'viewers[0][1]' }),
    );
    expect(() => quantileEstimate([[1]], 1)).toThrow(expect.objectContaining({ field: 'p' }));
  });
});

describe('the p95 at every look of a cumulative sample', () => {
  // A small deterministic generator (xorshift32): the test needs varied data, not a particular draw.
  function generator(seed: number): () => number {
    let state = seed;
    return () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
  }

  test('equals quantileEstimate over each look’s views, grouped by viewer', () => {
    for (const seed of [1, 7, 42]) {
      const random = generator(seed);
      const lookCount = 6;
      const values: number[] = [];
      const viewers: number[] = [];
      const looks: number[] = [];
      for (let j = 0; j < 1_500; j++) {
        // Ties on purpose (whole 10 ms), heavy viewers (a few with many views), late joiners.
        values.push(Math.round((300 + 5_000 * random() ** 3) / 10) * 10);
        viewers.push(Math.floor(400 * random() ** 2));
        looks.push(Math.floor(lookCount * random()));
      }
      const cumulative = cumulativeQuantileEstimates({ values, viewers, looks }, lookCount, 0.95);
      for (let look = 0; look < lookCount; look++) {
        const byViewer = new Map<number, number[]>();
        values.forEach((value, j) => {
          if ((looks[j] as number) > look) return;
          byViewer.set(viewers[j] as number, [...(byViewer.get(viewers[j] as number) ?? []), value]);
        });
        expect(cumulative[look]).toEqual(quantileEstimate([...byViewer.values()], 0.95));
      }
    }
  });

  test('is null until two viewers have a view, and names bad input', () => {
    const views = { values: [100, 200, 300], viewers: [0, 0, 1], looks: [0, 1, 2] };
    const [first, second, third] = cumulativeQuantileEstimates(views, 3, 0.95);
    expect([first, second]).toEqual([null, null]); // one viewer, with one then two views
    expect(third).toEqual(quantileEstimate([[100, 200], [300]], 0.95));
    expect(() => cumulativeQuantileEstimates({ ...views, looks: [0, 1, 3] }, 3, 0.95)).toThrow(
      expect.objectContaining({ code: 'ERR_STATS_INPUT', field: 'views.looks[2]' }),
    );
    expect(() => cumulativeQuantileEstimates({ ...views, values: [1, Number.NaN, 2] }, 3, 0.95)).toThrow(
      expect.objectContaining({ field: 'views.values[1]' }),
    );
    expect(() => cumulativeQuantileEstimates({ ...views, viewers: [0] }, 3, 0.95)).toThrow(
      expect.objectContaining({ field: 'views' }),
    );
  });
});
