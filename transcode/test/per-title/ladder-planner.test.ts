import { describe, expect, it } from 'vitest';
import {
  type LadderConstraints,
  LadderPlanError,
  type LadderPrediction,
  type PlanAudience,
  type PlanLadderInput,
  planLadder,
  qualityOfRung,
  throughputFromQuantiles,
} from '../../src/per-title/ladder-planner.js';
import { buildRateQualityHull, type ProbePoint } from '../../src/per-title/rate-quality-hull.js';

const WIDTHS: Record<number, number> = { 234: 416, 360: 640, 480: 854, 720: 1280, 1080: 1920 };
const probe = (height: number, bitrateKbps: number, psnrDb: number): ProbePoint => ({
  height,
  width: WIDTHS[height] ?? 2 * Math.round((height * 16) / 9 / 2),
  bitrateKbps,
  psnrDb,
  ssim: 0.9,
});

/**
 * Six points on doublings of 100 kbps, one per resolution step, gains per doubling 4, 3, 2, 1.5, 1
 * (strictly concave): every point is a hull point. Candidates are 2× apart, so with the default
 * step ratios (1.5–2.5) a ladder is a run of neighbouring points. A rung is playable when
 * 1.2 × bitrate < throughput: 100 → > 120, 200 → > 240, 400 → > 480, 800 → > 960, 1600 → > 1920,
 * 3200 → > 3840 kbps.
 */
const STEPS = buildRateQualityHull([
  probe(234, 100, 30),
  probe(360, 200, 34),
  probe(480, 400, 37),
  probe(720, 800, 39),
  probe(1080, 1600, 40.5),
  probe(1080, 3200, 41.5),
]);

/** The 3×3 example of the hull test; its log hull is 360p@100 30, 360p@200 33, 1080p@800 37.5, 1080p@1600 38.5. */
const THREE_BY_THREE = buildRateQualityHull([
  probe(360, 100, 30),
  probe(360, 200, 33),
  probe(360, 400, 34),
  probe(720, 200, 31),
  probe(720, 400, 35),
  probe(720, 800, 37),
  probe(1080, 400, 34.5),
  probe(1080, 800, 37.5),
  probe(1080, 1600, 38.5),
]);

/** Saturates at 45 dB by 2 Mbit/s; the hull is 1080p@500 40, @1000 44, @2000 45. */
const SATURATING = buildRateQualityHull([
  probe(1080, 500, 40),
  probe(1080, 1000, 44),
  probe(1080, 2000, 45),
  probe(1080, 4000, 44.8),
  probe(1080, 8000, 45),
]);

const audience = (throughput: [kbps: number, weight: number][], overrides: Partial<PlanAudience> = {}) => ({
  throughput: throughput.map(([kbps, weight]) => ({ kbps, weight })),
  mobileViewers: false,
  ...overrides,
});

/** Four equal groups: at 150 (only 100 playable), 300 (up to 200), 1000 (up to 800), 4000 (all). */
const SPREAD = audience([
  [150, 0.25],
  [300, 0.25],
  [1000, 0.25],
  [4000, 0.25],
]);

type Overrides = Omit<Partial<PlanLadderInput>, 'constraints'> & { constraints?: Partial<LadderConstraints> };

const makeInput = (overrides: Overrides = {}) => {
  const { constraints, ...rest } = overrides;
  return {
    videoId: 'vid_abc123',
    version: 3,
    hull: STEPS,
    audience: SPREAD,
    currentLadder: { rungs: [{ height: 360, bitrateKbps: 200 }] },
    ...rest,
    constraints: { maxRungs: 6, minBitrateKbps: 50, maxBitrateKbps: 5000, ...constraints },
  } satisfies PlanLadderInput;
};

const HOUR = 3.6e6; // bits per viewer-hour per kbit/s

interface Expected {
  rungs: string[];
  shares: number[];
  quality: number;
  /** kbit/s of the average viewer; bits per viewer-hour are this × 3.6e6. */
  kbps: number;
}

function expectPrediction(prediction: LadderPrediction, expected: Expected): void {
  expect(prediction.rungs.map((r) => `${r.height}p@${r.bitrateKbps}`)).toEqual(expected.rungs);
  prediction.rungs.forEach((rung, i) => {
    expect(rung.predictedWatchShare).toBeCloseTo(expected.shares[i] ?? -1, 9);
  });
  expect(prediction.totals.expectedQuality).toBeCloseTo(expected.quality, 9);
  expect(prediction.totals.expectedBitsPerViewerHour / HOUR).toBeCloseTo(expected.kbps, 6);
}

describe('planLadder', () => {
  it.each<[string, Overrides, Expected]>([
    [
      // The floor drops nothing: the unfloored ladder (next case) has 400 and 1600 at 0 % share, but
      // each bridges a 4× gap (200 → 800, 800 → 3200) that the 2.5× step ratio forbids. A floor
      // inside the search would have stopped at 100-200-400 (30, 34, 37, 37 = 34.5): worse for half
      // the audience.
      'spread audience, default floor: the stepping stones stay',
      {},
      {
        rungs: ['234p@100', '360p@200', '480p@400', '720p@800', '1080p@1600', '1080p@3200'],
        shares: [0.25, 0.25, 0, 0.25, 0, 0.25],
        quality: 36.125,
        kbps: 1075,
      },
    ],
    [
      // No floor: the whole run, every group on its best playable rung: (30 + 34 + 39 + 41.5) / 4.
      // 400 and 1600 serve nobody but are the only way up within 2.5×. kbps: (100+200+800+3200)/4.
      'spread audience, no floor: zero-share stepping stones kept',
      { constraints: { dropBelowWatchShare: 0 } },
      {
        rungs: ['234p@100', '360p@200', '480p@400', '720p@800', '1080p@1600', '1080p@3200'],
        shares: [0.25, 0.25, 0, 0.25, 0, 0.25],
        quality: 36.125,
        kbps: 1075,
      },
    ],
    [
      // Two rungs: 100-200 gives 30, 34, 34, 34 = 33; 200-400 stalls the 150 group (0) = 27.
      'maxRungs 2 respected',
      { constraints: { maxRungs: 2 } },
      { rungs: ['234p@100', '360p@200'], shares: [0.25, 0.75], quality: 33, kbps: 175 },
    ],
    [
      // 100..800: 30, 34, 39, 39 = 35.5 (400 serves nobody; allowed with no floor).
      'maxRungs 4, no floor',
      { constraints: { maxRungs: 4, dropBelowWatchShare: 0 } },
      {
        rungs: ['234p@100', '360p@200', '480p@400', '720p@800'],
        shares: [0.25, 0.25, 0, 0.5],
        quality: 35.5,
        kbps: 475,
      },
    ],
    [
      // Steps up to 4.5× let the ladder skip 400 and 1600: each group on its best rung, 36.125,
      // at the same bits as the unfloored run but with four rungs (ratios 2, 4, 4).
      'a wider step ratio skips rungs nobody plays',
      { constraints: { maxStepRatio: 4.5 } },
      {
        rungs: ['234p@100', '360p@200', '720p@800', '1080p@3200'],
        shares: [0.25, 0.25, 0.25, 0.25],
        quality: 36.125,
        kbps: 1075,
      },
    ],
    [
      // Only 4× steps fit [3, 4.5]: chains 100-400-1600 or 200-800-3200. The first credits
      // 30, 30, 37, 40.5 = 34.375; the second stalls the 150 group: (0 + 34 + 39 + 41.5) / 4 = 28.625.
      // kbps: .5 × 100 + .25 × 400 + .25 × 1600.
      'minStepRatio respected',
      { constraints: { minStepRatio: 3, maxStepRatio: 4.5 } },
      {
        rungs: ['234p@100', '480p@400', '1080p@1600'],
        shares: [0.5, 0.25, 0.25],
        quality: 34.375,
        kbps: 550,
      },
    ],
    [
      // Everyone at 300 plays 200 (34); the cellular rung (≤ 192) must come first: 100, unwatched
      // but the lowest, so never dropped.
      'all at 300 kbit/s with mobile viewers: a ≤ 192 kbit/s rung, kept at 0 % share',
      { audience: audience([[300, 1]], { mobileViewers: true }) },
      { rungs: ['234p@100', '360p@200'], shares: [0, 1], quality: 34, kbps: 200 },
    ],
    [
      // Same quality without the unwatched rung: fewer rungs win the tie.
      'all at 300 kbit/s, no mobile viewers: no cellular rung forced',
      { audience: audience([[300, 1]]) },
      { rungs: ['360p@200'], shares: [1], quality: 34, kbps: 200 },
    ],
    [
      // Audio counts: 100 + 32 = 132 ≤ 192; 1.2 × (200 + 32) = 278.4 < 300 still playable.
      'audio counts toward the cellular cap, playability and bits',
      { audience: audience([[300, 1]], { mobileViewers: true }), audioBitrateKbps: 32 },
      { rungs: ['234p@100', '360p@200'], shares: [0, 1], quality: 34, kbps: 232 },
    ],
    [
      // The unfloored best runs to 3200 for the 1 % at 4000: .49×30 + .5×34 + .01×41.5 = 32.115.
      // With the floor, 400 would keep only that 1 %: 100-200 gives .49×30 + .51×34 = 32.04.
      'rungs under 2 % dropped, but never the lowest',
      {
        audience: audience([
          [150, 0.49],
          [300, 0.5],
          [4000, 0.01],
        ]),
      },
      { rungs: ['234p@100', '360p@200'], shares: [0.49, 0.51], quality: 32.04, kbps: 151 },
    ],
    [
      // 10 % at 1100, 90 % on broadband. 1000-2000: the 1100 group cannot afford 1000 with VHS'
      // margin (1200) but sustains it (44), the rest get 45: 4.4 + 40.5 = 44.9. 500-1000-2000
      // would give .1×40 + .9×45 = 44.5. Top 2000 kbps, not 5000: nothing above it adds quality.
      'content that saturates early: a lower top than a 5 Mbit/s ladder',
      {
        hull: SATURATING,
        audience: audience([
          [1100, 0.1],
          [20000, 0.9],
        ]),
        constraints: { maxRungs: 5, minBitrateKbps: 100 },
      },
      { rungs: ['1080p@1000', '1080p@2000'], shares: [0.1, 0.9], quality: 44.9, kbps: 1900 },
    ],
    [
      // 360p displays: the ceiling is the best hull point ≤ 360p, 33. 360p@200 gives 33 at the
      // fewest bits (1080p@800 or @1600 would be credited 33 too, at more bits).
      'small displays: no 1080p rung',
      { hull: THREE_BY_THREE, audience: audience([[5000, 1]], { displays: [{ height: 360, weight: 1 }] }) },
      { rungs: ['360p@200'], shares: [1], quality: 33, kbps: 200 },
    ],
    [
      'the same audience without display sizes: the top of the hull',
      { hull: THREE_BY_THREE, audience: audience([[5000, 1]]) },
      { rungs: ['1080p@1600'], shares: [1], quality: 38.5, kbps: 1600 },
    ],
    [
      // Half 360p, half 1080p displays, steps up to 4×, no floor: 200 for the small ones (33),
      // 1600 for the large (38.5) = 35.75 at .5×200 + .5×1600 = 900 kbps; 800 is the stepping
      // stone (200→1600 is 8×). 1600 alone also credits 35.75 but at 1600 kbps.
      'mixed displays, no floor: fewest bits among equal quality',
      {
        hull: THREE_BY_THREE,
        audience: audience([[5000, 1]], {
          displays: [
            { height: 360, weight: 1 },
            { height: 1080, weight: 1 },
          ],
        }),
        constraints: { maxStepRatio: 4, dropBelowWatchShare: 0 },
      },
      { rungs: ['360p@200', '1080p@800', '1080p@1600'], shares: [0.5, 0, 0.5], quality: 35.75, kbps: 900 },
    ],
    [
      // Small displays play 360p@200 (33), large ones 1080p@1600 (38.5): 35.75 at (200 + 1600) / 2
      // = 900 kbps. 800 serves nobody, but 200 → 1600 is 8× (over the 4× allowed), so the floor
      // keeps it. 800-1600 alone gives the same 35.75 (small displays fall back to 800, credited the
      // 360p ceiling 33) at 1200 kbps: more bits, so not chosen.
      'mixed displays with the floor',
      {
        hull: THREE_BY_THREE,
        audience: audience([[5000, 1]], {
          displays: [
            { height: 360, weight: 1 },
            { height: 1080, weight: 1 },
          ],
        }),
        constraints: { maxStepRatio: 4 },
      },
      { rungs: ['360p@200', '1080p@800', '1080p@1600'], shares: [0.5, 0, 0.5], quality: 35.75, kbps: 900 },
    ],
  ])('%s', (_case, overrides, expected) => {
    const input = makeInput(overrides);
    const plan = planLadder(input);
    expectPrediction(plan.proposed, expected);
    // What every plan keeps, whatever the case.
    const { rungs } = plan.proposed;
    const settled = { minStepRatio: 1.5, maxStepRatio: 2.5, ...input.constraints };
    expect(rungs.length).toBeLessThanOrEqual(input.constraints.maxRungs);
    expect(rungs.reduce((sum, r) => sum + r.predictedWatchShare, 0)).toBeCloseTo(1, 9);
    rungs.slice(1).forEach((rung, i) => {
      const ratio = rung.bitrateKbps / (rungs[i]?.bitrateKbps ?? 0);
      expect(ratio).toBeGreaterThanOrEqual(settled.minStepRatio);
      expect(ratio).toBeLessThanOrEqual(settled.maxStepRatio);
    });
  });

  it('names the ladder per-title/<videoId>@<n> and reports the metric and codec', () => {
    const plan = planLadder(makeInput());
    expect(plan).toMatchObject({ metric: 'psnr', codec: 'h264', proposed: { id: 'per-title/vid_abc123@3' } });
  });

  it('lists what the 2 % floor dropped from the unfloored ladder, top down', () => {
    // Unfloored: 100..3200 with shares .49, .5, 0, 0, 0, .01. 400, 800 and 1600 each bridge a 4×
    // gap, so the first to go is the top, 3200 (.01, nothing above it); its viewers move to 1600,
    // now the top at .01, and so on down to 400. 100-200 stays: 30 × .49 + 34 × .51 = 32.04.
    const plan = planLadder(
      makeInput({
        audience: audience([
          [150, 0.49],
          [300, 0.5],
          [4000, 0.01],
        ]),
      }),
    );
    expect(plan.dropped.map((r) => [`${r.height}p@${r.bitrateKbps}`, r.predictedWatchShare])).toEqual([
      ['1080p@3200', 0.01],
      ['1080p@1600', 0.01],
      ['720p@800', 0.01],
      ['480p@400', 0.01],
    ]);
    expect(plan.proposed.rungs.map((r) => r.bitrateKbps)).toEqual([100, 200]);
    expect(plan.proposed.totals.expectedQuality).toBeCloseTo(32.04, 9);
  });

  it('predicts the current ladder side by side with the same model', () => {
    const plan = planLadder(
      makeInput({
        currentLadder: {
          id: 'default@2',
          rungs: [
            { height: 1080, bitrateKbps: 1600 },
            { height: 234, bitrateKbps: 100 },
            { height: 360, bitrateKbps: 200 },
            { height: 480, bitrateKbps: 400 },
            { height: 720, bitrateKbps: 800 },
          ],
        },
      }),
    );
    // Sorted by bitrate. 150 → 100 (30), 300 → 200 (34), 1000 → 800 (39), 4000 → 1600 (40.5):
    // 143.5 / 4 = 35.875; kbps (100 + 200 + 800 + 1600) / 4 = 675. Proposed: 36.125 at 1075 (above).
    expect(plan.current.id).toBe('default@2');
    expectPrediction(plan.current, {
      rungs: ['234p@100', '360p@200', '480p@400', '720p@800', '1080p@1600'],
      shares: [0.25, 0.25, 0, 0.25, 0.25],
      quality: 35.875,
      kbps: 675,
    });
    expect(plan.proposed.totals.expectedQuality).toBeCloseTo(36.125, 9);
  });

  it('compares with a 5 Mbit/s ladder on saturating content: same quality, far fewer bits', () => {
    const plan = planLadder(
      makeInput({
        hull: SATURATING,
        audience: audience([
          [1100, 0.1],
          [20000, 0.9],
        ]),
        constraints: { maxRungs: 5, minBitrateKbps: 100 },
        currentLadder: {
          rungs: [
            { height: 360, bitrateKbps: 500 },
            { height: 720, bitrateKbps: 2000 },
            { height: 1080, bitrateKbps: 5000 },
          ],
        },
      }),
    );
    // 360p and 720p were not probed: the hull at 500 (40) and 2000 (45). 1080p@5000: its own
    // curve, flat at 45 past 2000. 1100 plays 500 (600 < 1100; 2400 is not): 40; broadband plays
    // 5000: 45 → 4 + 40.5 = 44.5 at .1 × 500 + .9 × 5000 = 4550 kbps (proposed: 44.9 at 1900).
    expectPrediction(plan.current, {
      rungs: ['360p@500', '720p@2000', '1080p@5000'],
      shares: [0.1, 0, 0.9],
      quality: 44.5,
      kbps: 4550,
    });
    expect(plan.current.rungs.map((r) => r.qualityFrom)).toEqual(['hull', 'hull', 'resolution-curve']);
    expect(plan.proposed.rungs.at(-1)?.bitrateKbps).toBeLessThan(5000);
  });

  it('counts stalls: a throughput under the lowest rung is credited nothing', () => {
    // All at 150, one rung forced at 200 by minBitrateKbps: 150 < 200 stalls, credited 0.
    const plan = planLadder(
      makeInput({ audience: audience([[150, 1]]), constraints: { minBitrateKbps: 200 } }),
    );
    expect(plan.proposed.rungs[0]).toMatchObject({ height: 360, bitrateKbps: 200, predictedWatchShare: 1 });
    expect(plan.proposed.totals).toMatchObject({ expectedQuality: 0, stallShare: 1 });
  });

  it.each<[string, Overrides, string, string, RegExp]>([
    [
      'maxRungs 0',
      { constraints: { maxRungs: 0 } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.maxRungs',
      /at least one/,
    ],
    [
      'maxRungs 2.5',
      { constraints: { maxRungs: 2.5 } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.maxRungs',
      /whole/,
    ],
    [
      'min above max',
      { constraints: { minBitrateKbps: 3000, maxBitrateKbps: 1000 } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.minBitrateKbps',
      /3000 kbps is above maxBitrateKbps 1000.*lower minBitrateKbps or raise maxBitrateKbps/,
    ],
    [
      'no hull point in range',
      { constraints: { minBitrateKbps: 4000, maxBitrateKbps: 5000 } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.minBitrateKbps/maxBitrateKbps',
      /hull spans 100–3200 kbps.*widen/,
    ],
    [
      'step ratios inverted',
      { constraints: { minStepRatio: 2.5, maxStepRatio: 1.5 } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.maxStepRatio',
      /inverted.*swap/,
    ],
    [
      'a step ratio of 1',
      { constraints: { minStepRatio: 1 } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.minStepRatio',
      />/,
    ],
    [
      'a floor of 100 %',
      { constraints: { dropBelowWatchShare: 1 } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.dropBelowWatchShare',
      /\[0, 1\)/,
    ],
    [
      // 96 kbps of audio leaves 96 for video: the lowest hull point is 100.
      'mobile viewers but no point under the cellular cap',
      { audience: { ...SPREAD, mobileViewers: true }, audioBitrateKbps: 96 },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.cellularRungMaxKbps',
      /≤ 96 kbps video.*lowest hull point in range is 100 kbps.*probe the smallest resolution/,
    ],
    [
      'mobile viewers but minBitrateKbps above the cellular cap',
      { audience: { ...SPREAD, mobileViewers: true }, constraints: { minBitrateKbps: 300 } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.cellularRungMaxKbps',
      /lower minBitrateKbps/,
    ],
    [
      'a hull probed with another codec',
      { hull: { ...STEPS, codec: 'hevc' } },
      'ERR_LADDER_CONSTRAINTS',
      'constraints.codec',
      /h264 but the hull was probed with hevc/,
    ],
    ['no throughput', { audience: audience([]) }, 'ERR_LADDER_INPUT', 'audience.throughput', /empty/],
    ['version 0', { version: 0 }, 'ERR_LADDER_INPUT', 'version', /≥ 1/],
    [
      'no current ladder',
      { currentLadder: { rungs: [] } },
      'ERR_LADDER_INPUT',
      'currentLadder.rungs',
      /empty/,
    ],
  ])(
    'refuses %s with a typed error naming the problem and the fix',
    (_case, overrides, code, field, message) => {
      const error = (() => {
        try {
          planLadder(makeInput(overrides));
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(LadderPlanError);
      expect(error).toMatchObject({ code, field });
      expect((error as Error).message).toMatch(message);
    },
  );
});

describe('qualityOfRung', () => {
  it.each([
    // 1080p's curve: 1600 (40.5) → 3200 (41.5); half a doubling in: 41.
    ['on its resolution curve', { height: 1080, bitrateKbps: 1600 * Math.SQRT2 }, 41, 'resolution-curve'],
    // 720p has one probe (800: 39): its curve is flat, not the hull's 40.5 at 1600.
    ['a one-point curve stays flat', { height: 720, bitrateKbps: 1600 }, 39, 'resolution-curve'],
    ['a probed point', { height: 234, bitrateKbps: 100 }, 30, 'resolution-curve'],
    // 540p was not probed: the hull, halfway in log2 between 800 (39) and 1600 (40.5).
    ['an unprobed resolution: the hull', { height: 540, bitrateKbps: 800 * Math.SQRT2 }, 39.75, 'hull'],
  ])('%s', (_case, rung, quality, from) => {
    const result = qualityOfRung(STEPS, rung);
    expect(result.quality).toBeCloseTo(quality, 9);
    expect(result.from).toBe(from);
  });
});

describe('throughputFromQuantiles', () => {
  it.each([
    // Midpoints .3 and .7 split the mass: .3, .4, .3.
    [
      'p10/p50/p90',
      [
        { p: 0.9, kbps: 8000 },
        { p: 0.1, kbps: 500 },
        { p: 0.5, kbps: 2000 },
      ],
      [
        [500, 0.3],
        [2000, 0.4],
        [8000, 0.3],
      ],
    ],
    ['a single median', [{ p: 0.5, kbps: 2000 }], [[2000, 1]]],
  ])('%s', (_case, quantiles, expected) => {
    const buckets = throughputFromQuantiles(quantiles);
    expect(buckets.map((b) => b.kbps)).toEqual(expected.map(([kbps]) => kbps));
    buckets.forEach((b, i) => {
      expect(b.weight).toBeCloseTo(expected[i]?.[1] ?? -1, 9);
    });
  });
});

describe('rungs between hull points (candidateGridStep)', () => {
  /** One resolution, 360p@100 30 dB and 360p@800 39 dB: 3 dB per doubling on the log axis. */
  const TWO_POINTS = buildRateQualityHull([probe(360, 100, 30), probe(360, 800, 39)]);
  const input = (candidateGridStep?: number): PlanLadderInput => ({
    videoId: 'grid',
    version: 1,
    hull: TWO_POINTS,
    // Everyone at 600 kbps: a rung is playable under 600 / 1.2 = 500 kbps.
    audience: { throughput: [{ kbps: 600, weight: 1 }], mobileViewers: false },
    constraints: { maxRungs: 1, minBitrateKbps: 100, maxBitrateKbps: 1_000, dropBelowWatchShare: 0 },
    currentLadder: { rungs: [{ height: 360, bitrateKbps: 800 }] },
    ...(candidateGridStep === undefined ? {} : { candidateGridStep }),
  });

  it('finds the rung the audience can play between two far-apart probes', () => {
    // Grid of 2×: 100, 200, 400, 800 (from max(100, 100 / 2)); 400 is two doublings up: 30 + 6 = 36 dB,
    // the highest under 500 kbps. 800 would not play (600 < 800: a stall, quality 0).
    const plan = planLadder(input(2));
    expect(plan.proposed.rungs.map((r) => [r.height, r.bitrateKbps, r.qualityFrom])).toEqual([
      [360, 400, 'resolution-curve'],
    ]);
    expect(plan.proposed.rungs[0]!.predictedQuality).toBeCloseTo(36, 9);
    expect(plan.proposed.totals.expectedQuality).toBeCloseTo(36, 9);
  });

  it('keeps to hull points without it: 100 kbps, 30 dB', () => {
    const plan = planLadder(input());
    expect(plan.proposed.rungs.map((r) => [r.bitrateKbps, r.qualityFrom])).toEqual([[100, 'hull']]);
    expect(plan.proposed.totals.expectedQuality).toBeCloseTo(30, 9);
  });

  it('refuses a grid step that would never advance', () => {
    expect(() => planLadder(input(1))).toThrow(/candidateGridStep: must be a number > 1/);
  });
});

describe('content simpler than the bitrate floor', () => {
  it('plans one rung at the floor, at the top quality and resolution of a hull that lies wholly under it', () => {
    // Every probe under 64 kbps: 720p@20 42 dB, 720p@40 45 dB. The grid runs from max(64, 20 / 2)
    // = 64 to max(hull top 40, floor 64) = 64: one candidate, 64 kbps at 720p, the top's 45 dB.
    const plan = planLadder({
      videoId: 'slides',
      version: 1,
      hull: buildRateQualityHull([probe(720, 20, 42), probe(720, 40, 45)]),
      audience: { throughput: [{ kbps: 5_000, weight: 1 }], mobileViewers: true },
      constraints: { maxRungs: 5, minBitrateKbps: 64, maxBitrateKbps: 8_000 },
      currentLadder: { rungs: [{ height: 720, bitrateKbps: 3_000 }] },
      audioBitrateKbps: 96,
      candidateGridStep: 2 ** 0.25,
    });
    expect(plan.proposed.rungs.map((r) => [r.height, r.bitrateKbps, r.predictedQuality])).toEqual([
      [720, 64, 45],
    ]);
  });
});
