/** How the ladder page reads a plan: axes, series, and the words for audience, bits and quality. */
import { describe, expect, it } from 'vitest';
import {
  audienceText,
  bitsRatioText,
  constraintFields,
  constraintsQuery,
  hullPoints,
  kbpsTick,
  type LadderPlan,
  logDomain,
  logTicks,
  measuredShare,
  type PlanPoint,
  proposeBody,
  qualityAxis,
  qualityGainText,
  resolutionSeries,
} from '../src/ui/ladder-view.js';

const point = (height: number, bitrateKbps: number, psnrDb: number, onHull = false): PlanPoint => ({
  width: Math.round((height * 16) / 9),
  height,
  bitrateKbps,
  psnrDb,
  ssim: 0.95,
  onHull,
});

const audience = (overrides: Partial<LadderPlan['audience']> = {}): LadderPlan['audience'] => ({
  source: 'reference',
  featureVersion: null,
  samples: 0,
  throughputKbps: { p10: 1500, p25: 3000, p50: 6000, p75: 12_000, p90: 25_000 },
  rungShare: [],
  mobileViewers: true,
  ...overrides,
});

describe('chart geometry', () => {
  it.each([
    [100, 1000, [100, 200, 500, 1000]],
    [150, 3000, [200, 500, 1000, 2000]],
    [64, 8000, [100, 200, 500, 1000, 2000, 5000]],
  ])('ticks 1-2-5 per decade from %d to %d', (min, max, ticks) => {
    expect(logTicks(min, max)).toEqual(ticks);
  });

  it.each([
    [
      [100, 3200],
      [100, 5000],
    ],
    [
      [64, 5000],
      [50, 5000],
    ],
    [
      [250, 500],
      [200, 500],
    ],
    [[1000], [500, 2000]],
  ] as const)('spans %j from tick to tick: %j', (values, domain) => {
    expect(logDomain(values)).toEqual(domain);
  });

  it('gives the quality axis whole-dB ticks around the values', () => {
    expect(qualityAxis([38, 47])).toEqual({ domain: [36, 48], ticks: [36, 38, 40, 42, 44, 46, 48] });
    expect(qualityAxis([40.2, 42.8])).toEqual({ domain: [39, 44], ticks: [39, 40, 41, 42, 43, 44] });
  });

  it.each([
    [200, '200k'],
    [1000, '1M'],
    [2500, '2.5M'],
    [20_000, '20M'],
  ])('writes the tick %d as %s', (kbps, text) => {
    expect(kbpsTick(kbps)).toBe(text);
  });

  it('draws one series per resolution, lowest first, each through its points by bitrate', () => {
    const points = [
      point(720, 600, 45),
      point(360, 200, 40, true),
      point(720, 300, 42),
      point(360, 100, 38, true),
    ];
    expect(resolutionSeries(points).map((s) => [s.label, s.points.map((p) => p.bitrateKbps)])).toEqual([
      ['360p', [100, 200]],
      ['720p', [300, 600]],
    ]);
    expect(hullPoints(points).map((p) => p.bitrateKbps)).toEqual([100, 200]);
  });
});

describe('the words', () => {
  it.each([
    [audience(), 'Reference audience (assumed, nothing measured yet)', true],
    [
      audience({ source: 'title', featureVersion: 3, samples: 50 }),
      "This title's own viewers: 50 views measured, title feature set v3.",
      false,
    ],
    [
      audience({ source: 'fleet', featureVersion: 3, samples: 1000 }),
      'All viewers of the fleet (this title has too few views of its own): 1,000 views measured, title feature set v3.',
      false,
    ],
  ])('names the audience (%#)', (given, start, reference) => {
    const text = audienceText(given);
    expect(text.source.startsWith(start)).toBe(true);
    expect(text.reference).toBe(reference);
  });

  it.each([
    [0.42, '0.42 × (58 % fewer bits)'],
    [1, '1.00 × (the same bits)'],
    [1.25, '1.25 × (25 % more bits)'],
    [null, '— (the current ladder delivers no bits to compare with)'],
  ])('says the bits ratio %s as %s', (ratio, text) => {
    expect(bitsRatioText(ratio)).toBe(text);
  });

  it.each([
    [1.234, '+1.23 dB PSNR'],
    [-0.5, '−0.50 dB PSNR'],
    [0.001, '±0.00 dB PSNR'],
  ])('says a quality gain of %d dB as %s', (db, text) => {
    expect(qualityGainText(db)).toBe(text);
  });

  it("finds a current rung's measured share by height, then the closest bitrate", () => {
    const shares = [
      { height: 360, bitrateKbps: 896, share: 0.6 },
      { height: 720, bitrateKbps: 2596, share: 0.3 },
      { height: 720, bitrateKbps: 1200, share: 0.1 },
    ];
    expect(measuredShare({ height: 720, bitrateKbps: 2500 }, shares)).toBe(0.3);
    expect(measuredShare({ height: 360, bitrateKbps: 800 }, shares)).toBe(0.6);
    expect(measuredShare({ height: 1080, bitrateKbps: 5000 }, shares)).toBeNull();
  });
});

describe('the constraints form', () => {
  it('asks for what was typed, the floor in percent sent as a share, blanks left to the planner', () => {
    expect(
      constraintsQuery({
        maxRungs: '3',
        minBitrateKbps: ' ',
        maxBitrateKbps: '4000',
        dropBelowPercent: '2.5',
      }),
    ).toEqual({ maxRungs: '3', maxBitrateKbps: '4000', dropBelowWatchShare: '0.025' });
  });

  it('sends what is not a number as typed, so the API names it', () => {
    expect(
      constraintsQuery({ maxRungs: 'many', minBitrateKbps: '', maxBitrateKbps: '', dropBelowPercent: '' }),
    ).toEqual({ maxRungs: 'many' });
  });

  it('fills the form with the constraints a plan applied, and opens the experiment with them as numbers', () => {
    const fields = constraintFields({
      maxRungs: 5,
      minBitrateKbps: 64,
      maxBitrateKbps: 8000,
      cellularRungMaxKbps: 192,
      minStepRatio: 1.5,
      maxStepRatio: 2,
      dropBelowWatchShare: 0.02,
    });
    expect(fields).toEqual({
      maxRungs: '5',
      minBitrateKbps: '64',
      maxBitrateKbps: '8000',
      dropBelowPercent: '2',
    });
    expect(proposeBody(constraintsQuery(fields))).toEqual({
      experiment: true,
      maxRungs: 5,
      minBitrateKbps: 64,
      maxBitrateKbps: 8000,
      dropBelowWatchShare: 0.02,
    });
  });
});
