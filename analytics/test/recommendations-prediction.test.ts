/**
 * The playback prediction behind QoE-aware recommendations (playback-prediction.ts): the model's
 * ladder read from a published record, the viewer's throughput bucket and outage share, the cache,
 * and what the model says at the two ends of the scale. Numbers worked out by hand in the comments;
 * the model's own outputs are only compared with each other or with what cannot happen.
 */
import { describe, expect, it } from 'vitest';
import {
  createPlaybackPredictor,
  modelLadderOf,
  PREDICTION_HORIZON_SEC,
  shareBelow100Kbps,
  throughputBucket,
} from '../src/recommendations/playback-prediction.js';
import { ladderWithLowestRung, NO_THROUGHPUT, throughput } from './recommendations-fixtures.js';

/** Lowest rung 900 000 + 99 000 audio = 999 kbit/s declared. */
const HEAVY = ladderWithLowestRung(900_000);
/** Lowest rung 150 000 + 99 000 audio = 249 kbit/s declared. */
const LIGHT = ladderWithLowestRung(150_000);

describe('modelLadderOf', () => {
  it('reads rungs lowest first as the master playlist declares them, with 6 s segments at the measured average', () => {
    const ladder = modelLadderOf(HEAVY);
    // Peaks 900 000 and 3 000 000 plus the audio's 99 000; averages 0.9 of the peaks: 810 000 and
    // 2 700 000 bit/s → 6 s segments of 607 500 and 2 025 000 bytes; audio 96 000 bit/s → 72 000.
    expect(ladder?.rungs.map((rung) => [rung.bandwidth, rung.height, rung.segments[0]?.bytes])).toEqual([
      [999_000, 360, 607_500],
      [3_099_000, 720, 2_025_000],
    ]);
    // 120 s in 6 s segments.
    expect(ladder?.rungs[0]?.segments).toHaveLength(PREDICTION_HORIZON_SEC / 6);
    expect(ladder?.audio?.segments[0]).toEqual({ durationSec: 6, bytes: 72_000 });
  });
});

describe('throughputBucket', () => {
  it.each<[string, Parameters<typeof throughputBucket>[0], ReturnType<typeof throughputBucket>]>([
    [
      // 4·log2: 300 → 32.92 → 33, 800 → 38.58 → 39, 1 500 → 42.20 → 42; 2^(33/4) = 256·2^¼,
      // 2^(39/4) = 512·2^¾, 2^(42/4) = 1024·√2.
      'quarter octaves',
      throughput(300, 800, 1_500),
      { p10: 256 * 2 ** 0.25, p50: 512 * 2 ** 0.75, p90: 1024 * Math.SQRT2 },
    ],
    [
      // All 1 000: 4·log2 1 000 = 39.86 → 40 → 1 024; p10 and p90 one step away: 2^(39/4), 2^(41/4).
      'one step apart at least, so the model has a spread',
      throughput(1_000, 1_000, 1_000),
      { p10: 512 * 2 ** 0.75, p50: 1024, p90: 1024 * 2 ** 0.25 },
    ],
    [
      // p10 0 counts as 10 kbit/s: 4·log2 10 = 13.29 → 13 → 2^(13/4) = 8·2^¼.
      'a floor of 10 kbit/s',
      throughput(0, 64, 256),
      { p10: 8 * 2 ** 0.25, p50: 64, p90: 256 },
    ],
    ['nothing without samples', NO_THROUGHPUT, undefined],
  ])('%s', (_name, distribution, expected) => {
    const bucket = throughputBucket(distribution);
    if (expected === undefined) expect(bucket).toBeUndefined();
    else
      expect(bucket).toEqual({
        p10: expect.closeTo(expected.p10, 9),
        p50: expect.closeTo(expected.p50, 9),
        p90: expect.closeTo(expected.p90, 9),
      });
  });
});

describe('shareBelow100Kbps', () => {
  it.each([
    // p10 at or above 100 kbit/s: none.
    [{ p10: 100, p50: 400, p90: 1_600 }, 0],
    // Between p10 (0.1) and p50 (0.5), log-linear: 0.1 + 0.4·ln(100/25)/ln(400/25) = 0.1 + 0.4·½.
    [{ p10: 25, p50: 400, p90: 1_600 }, 0.3],
    // Between p50 (0.5) and p90 (0.9): 0.5 + 0.4·ln(100/25)/ln(400/25) = 0.5 + 0.4·½.
    [{ p10: 10, p50: 25, p90: 400 }, 0.7],
    // All below: 0.9 at least, as far as the quantiles tell.
    [{ p10: 10, p50: 20, p90: 40 }, 0.9],
  ])('%o → %d', (bucket, expected) => {
    expect(shareBelow100Kbps(bucket)).toBeCloseTo(expected, 12);
  });
});

describe('createPlaybackPredictor', () => {
  it('says whether the lowest rung is within the viewer p10, equal counting as within', () => {
    const predictor = createPlaybackPredictor();
    // HEAVY's lowest rung declares 999 kbit/s.
    expect(predictor.predict(HEAVY, throughput(999, 2_000, 4_000))).toMatchObject({
      lowestRungKbps: 999,
      fits: true,
    });
    expect(predictor.predict(HEAVY, throughput(998, 2_000, 4_000))).toMatchObject({
      lowestRungKbps: 999,
      fits: false,
    });
  });

  it('runs the model once per ladder and throughput bucket', () => {
    const predictor = createPlaybackPredictor();
    const first = predictor.predict(LIGHT, throughput(300, 800, 1_500));
    // 320 / 850 / 1 400 fall in the same quarter octaves as 300 / 800 / 1 500: 4·log2 gives
    // 33.29 → 33, 38.93 → 39, 41.80 → 42 against 32.92, 38.58, 42.20.
    const sameBucket = predictor.predict(LIGHT, throughput(320, 850, 1_400));
    // Another record object with the same ladder id@version and bitrates: the same entry.
    const sameLadder = predictor.predict(ladderWithLowestRung(150_000), throughput(300, 800, 1_500));
    expect(predictor.stats).toEqual({ modelRuns: 1, cacheHits: 2, answeredBeforeModel: 0 });
    expect(sameBucket).toEqual(first);
    expect(sameLadder).toEqual(first);
    // Another bucket (p50 1 600 → 42.58 → 43), and another ladder's bitrates: one run each.
    predictor.predict(LIGHT, throughput(300, 1_600, 3_000));
    predictor.predict(HEAVY, throughput(300, 800, 1_500));
    expect(predictor.stats).toEqual({ modelRuns: 3, cacheHits: 2, answeredBeforeModel: 0 });
  });

  it('predicts nothing but the lowest rung without a throughput', () => {
    expect(createPlaybackPredictor().predict(LIGHT, undefined)).toEqual({
      startupMs: null,
      stallRisk: null,
      lowestRungKbps: 249,
      fits: null,
    });
  });

  it('sees no stall on a link far above the ladder, and more risk on a ladder above a slow link', () => {
    const predictor = createPlaybackPredictor();
    // p10 50 Mbit/s against a top rung of 3.1 Mbit/s: the link never comes near draining the buffer.
    const broadband = predictor.predict(HEAVY, throughput(50_000, 100_000, 150_000));
    expect(broadband).toMatchObject({ stallRisk: 0, fits: true });
    expect(broadband.startupMs).toBeGreaterThan(0);
    // A 3G-class viewer (p50 800 kbit/s): HEAVY's lowest rung alone (999) is above the median.
    const slow = throughput(300, 800, 1_500);
    const heavy = predictor.predict(HEAVY, slow);
    const light = predictor.predict(LIGHT, slow);
    expect(heavy.stallRisk).toBeGreaterThan(light.stallRisk ?? 1);
    expect(heavy.stallRisk).toBeLessThanOrEqual(1);
  });
});
