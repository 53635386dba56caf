import { describe, expect, it } from 'vitest';
import {
  bestResolutionAt,
  buildRateQualityHull,
  type HullOptions,
  type ProbePoint,
  qualityAt,
  RateQualityInputError,
} from '../../src/per-title/rate-quality-hull.js';

const WIDTHS: Record<number, number> = { 234: 416, 360: 640, 480: 854, 720: 1280, 1080: 1920 };

/** One probe encode; SSIM only matters where a case says so. */
const probe = (height: number, bitrateKbps: number, psnrDb: number, ssim = 0.9): ProbePoint => ({
  height,
  width: WIDTHS[height] ?? 2 * Math.round((height * 16) / 9 / 2),
  bitrateKbps,
  psnrDb,
  ssim,
});

/**
 * Three resolutions × three points, bitrates on doublings of 100 kbps so that log2(bitrate / 100)
 * is 0…4 and the hull can be worked by hand. Best per bitrate (PSNR): 100→30 (360p), 200→33 (360p
 * beats 720p's 31), 400→35 (720p), 800→37.5 (1080p beats 37), 1600→38.5. Slopes per doubling:
 * 3, 2, 2.5, 1 — 720p@400 is under the chord 200→800 (33 + 4.5/2 = 35.25 > 35), so the log hull
 * drops it. On a linear axis the slopes per kbps are 0.03, 0.01, 0.00625, 0.00125: all kept.
 */
const THREE_BY_THREE: ProbePoint[] = [
  probe(360, 100, 30, 0.9),
  probe(360, 200, 33, 0.93),
  probe(360, 400, 34, 0.94),
  probe(720, 200, 31, 0.92),
  probe(720, 400, 35, 0.95),
  probe(720, 800, 37, 0.96),
  probe(1080, 400, 34.5, 0.945),
  probe(1080, 800, 37.5, 0.97),
  probe(1080, 1600, 38.5, 0.975),
];

const summary = (probes: ProbePoint[], options?: HullOptions) =>
  buildRateQualityHull(probes, options).points.map((p) => `${p.height}p@${p.bitrateKbps}:${p.quality}`);

describe('buildRateQualityHull', () => {
  it.each<[string, ProbePoint[], HullOptions | undefined, string[]]>([
    [
      '3 resolutions × 3 points, PSNR on log bitrate: 720p@400 under the chord',
      THREE_BY_THREE,
      undefined,
      ['360p@100:30', '360p@200:33', '1080p@800:37.5', '1080p@1600:38.5'],
    ],
    [
      'the same on a linear axis keeps 720p@400',
      THREE_BY_THREE,
      { bitrateScale: 'linear' },
      ['360p@100:30', '360p@200:33', '720p@400:35', '1080p@800:37.5', '1080p@1600:38.5'],
    ],
    [
      // Best SSIM per bitrate: .90 (360p), .93 (360p), .95 (720p), .97 (1080p), .975 — slopes
      // .03, .02, .02, .005: 720p@400 lies ON the chord 200→800 (.93 + .04/2) and stays.
      'SSIM: a different hull, collinear points kept',
      THREE_BY_THREE,
      { metric: 'ssim' },
      ['360p@100:0.9', '360p@200:0.93', '720p@400:0.95', '1080p@800:0.97', '1080p@1600:0.975'],
    ],
    [
      // log2 x: 0,1,2,3 → 30, 29 (noise), 34, 33.9. 29 is under the chord 30→34 (32 at x=1);
      // 33.9 costs more than 34 for less: cut after the highest quality.
      'noisy, non-monotone points: dominated ones dropped',
      [probe(720, 100, 30), probe(720, 200, 29), probe(720, 400, 34), probe(720, 800, 33.9)],
      undefined,
      ['720p@100:30', '720p@400:34'],
    ],
    [
      // Three encodes at 300 kbps: the best quality stays; 480p and 720p tie at 33, the smaller wins.
      'duplicate bitrates: one point, the best and smallest',
      [probe(360, 300, 32), probe(720, 300, 33), probe(480, 300, 33)],
      undefined,
      ['480p@300:33'],
    ],
    ['a single point', [probe(720, 1000, 40)], undefined, ['720p@1000:40']],
    [
      // log2(x / 500): 0..4 → 40, 44, 45, 44.8, 45. 44.8 is under the chord 45→45; 45 again at
      // 8000 is not above the first 45 at 2000: the hull ends at 2000 (quality saturates early).
      'saturating content: the hull ends where quality stops rising',
      [
        probe(1080, 500, 40),
        probe(1080, 1000, 44),
        probe(1080, 2000, 45),
        probe(1080, 4000, 44.8),
        probe(1080, 8000, 45),
      ],
      undefined,
      ['1080p@500:40', '1080p@1000:44', '1080p@2000:45'],
    ],
  ])('%s', (_case, probes, options, expected) => {
    expect(summary(probes, options)).toEqual(expected);
  });

  it('gives every resolution its curve, sorted by bitrate, with its own hull', () => {
    const hull = buildRateQualityHull([...THREE_BY_THREE].reverse());
    expect(
      hull.curves.map((c) => ({
        size: `${c.width}x${c.height}`,
        points: c.points.map((p) => p.bitrateKbps),
        hull: c.hull.map((p) => p.bitrateKbps),
      })),
    ).toEqual([
      // Each curve alone: slopes per doubling 3 then 1 (360p), 4 then 2 (720p), 3 then 1 (1080p): concave.
      { size: '640x360', points: [100, 200, 400], hull: [100, 200, 400] },
      { size: '1280x720', points: [200, 400, 800], hull: [200, 400, 800] },
      { size: '1920x1080', points: [400, 800, 1600], hull: [400, 800, 1600] },
    ]);
  });

  it.each<[string, ProbePoint[], string]>([
    ['empty input', [], 'probes'],
    ['a zero bitrate', [probe(360, 100, 30), probe(360, 0, 31)], 'probes[1].bitrateKbps'],
    ['a PSNR that is not a number', [probe(360, 100, Number.NaN)], 'probes[0].psnrDb'],
    ['an SSIM above 1', [probe(360, 100, 30, 1.2)], 'probes[0].ssim'],
    ['a fractional height', [{ ...probe(360, 100, 30), height: 359.5 }], 'probes[0].height'],
  ])('refuses %s with a typed error naming the field', (_case, probes, field) => {
    const error = (() => {
      try {
        buildRateQualityHull(probes);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RateQualityInputError);
    expect(error).toMatchObject({ code: 'ERR_RATE_QUALITY_INPUT', field });
  });
});

describe('qualityAt', () => {
  const logHull = buildRateQualityHull(THREE_BY_THREE);
  const linearHull = buildRateQualityHull(THREE_BY_THREE, { bitrateScale: 'linear' });
  const single = buildRateQualityHull([probe(720, 1000, 40)]);

  it.each([
    ['a hull point', logHull, 800, 37.5],
    // Halfway between 200 (33) and 800 (37.5) on log2: 33 + 4.5 / 2.
    ['between points, on the log axis', logHull, 400, 35.25],
    // Half a doubling above 100 on the first edge (3 dB per doubling): 30 + 1.5.
    ['half a doubling in', logHull, 100 * Math.SQRT2, 31.5],
    // 600 is halfway from 400 (35) to 800 (37.5) in kbps: 35 + 1.25.
    ['between points, on the linear axis', linearHull, 600, 36.25],
    ['above the hull: its top', logHull, 3200, 38.5],
    // One doubling below 100 along the first edge: 30 − 3.
    ['below the hull: the first edge extended', logHull, 50, 27],
    // Eleven doublings below: 30 − 33 → floored at 0.
    ['far below: never negative', logHull, 100 / 2048, 0],
    ['a single-point hull, below', single, 50, 40],
    ['a single-point hull, above', single, 5000, 40],
  ])('%s', (_case, hull, bitrateKbps, expected) => {
    expect(qualityAt(hull, bitrateKbps)).toBeCloseTo(expected, 9);
  });
});

describe('bestResolutionAt', () => {
  const hull = buildRateQualityHull(THREE_BY_THREE);
  it.each([
    // At 400 all three span it: 360p 34, 720p 35, 1080p 34.5 — 720p, though the log hull skips it.
    ['where every resolution was probed: the highest curve', 400, 720],
    // Only 1080p's probes (400–1600) reach 1000.
    ['where one resolution was probed', 1000, 1080],
    // 720p starts at 200: only 360p spans 150.
    ['below the other resolutions', 150, 360],
    ['above every probe: the top hull point', 3200, 1080],
    ['below every probe: the lowest hull point', 50, 360],
  ])('%s', (_case, bitrateKbps, height) => {
    expect(bestResolutionAt(hull, bitrateKbps).height).toBe(height);
  });
});
