/**
 * The rate–quality hull of one title: which (resolution, bitrate) encodes give the most quality per
 * bit. Input: probe encodes of short samples, each scored (PSNR, SSIM) against the source scaled to
 * one fixed display, so scores at different resolutions compare. Output: every resolution's curve
 * and the upper convex hull over all of them, each hull point remembering its resolution.
 *
 * The hull is convex in (log bitrate, quality) by default, as in Netflix's per-title encoding
 * (2015): PSNR grows roughly linearly per doubling of the rate, so rate–quality curves are close to
 * concave on a log axis and the log hull keeps the points a ladder (spaced by bitrate RATIO) picks
 * between. A linear axis is available (`bitrateScale: 'linear'`); it is the right hull for
 * time-sharing two encodes, which a ladder never does, and it keeps more low-slope points at the top.
 *
 * Pure: no I/O. Points on a hull edge (collinear within 1e-9) are kept — they are real encodes the
 * planner may use; points under the hull and every point past the highest quality (more bits, no
 * more quality) are dropped.
 */
import type { VideoCodec } from '@streamloop/core/schemas/ladder';
import type { ProbePoint } from '@streamloop/core/schemas/ladder-plan';

export type QualityMetric = 'psnr' | 'ssim';
export type BitrateScale = 'log' | 'linear';

/**
 * One probe encode, scored against the source scaled to the fixed display (core's contract; its
 * `height` is the short side, as core's LadderRung, so portrait and landscape share rungs).
 */
export type { ProbePoint };

export interface HullPoint extends ProbePoint {
  /** The hull's metric of this point: `psnrDb` or `ssim`. */
  quality: number;
}

export interface ResolutionCurve {
  width: number;
  height: number;
  /** Every probe at this resolution, by bitrate (duplicate bitrates: the best kept). */
  points: HullPoint[];
  /** This resolution's own upper hull: what `qualityOnCurve` interpolates. */
  hull: HullPoint[];
}

export interface RateQualityHull {
  metric: QualityMetric;
  bitrateScale: BitrateScale;
  /** The codec the probes were encoded with, when the caller said. */
  codec?: VideoCodec;
  /** By bitrate, strictly increasing in both bitrate and quality. */
  points: HullPoint[];
  /** By height, then width. */
  curves: ResolutionCurve[];
}

export interface HullOptions {
  metric?: QualityMetric;
  bitrateScale?: BitrateScale;
  codec?: VideoCodec;
}

export class RateQualityInputError extends Error {
  readonly code = 'ERR_RATE_QUALITY_INPUT';
  constructor(
    /** `probes` or `probes[3].bitrateKbps`. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'RateQualityInputError';
  }
}

// Collinear within this (cross product in axis units) counts as on the hull.
const HULL_EPS = 1e-9;

export function buildRateQualityHull(
  probes: readonly ProbePoint[],
  options: HullOptions = {},
): RateQualityHull {
  const metric = options.metric ?? 'psnr';
  const bitrateScale = options.bitrateScale ?? 'log';
  if (probes.length === 0) {
    throw new RateQualityInputError('probes', 'is empty: probe at least one resolution at one CRF');
  }
  probes.forEach(checkProbe);
  const scored = probes.map(
    (probe): HullPoint => ({ ...probe, quality: metric === 'psnr' ? probe.psnrDb : probe.ssim }),
  );
  const byResolution = new Map<string, HullPoint[]>();
  for (const point of scored) {
    const key = `${point.width}x${point.height}`;
    byResolution.set(key, [...(byResolution.get(key) ?? []), point]);
  }
  const curves = [...byResolution.values()]
    .map((points): ResolutionCurve => {
      const sorted = bestPerBitrate(points);
      const first = sorted[0] as HullPoint;
      return {
        width: first.width,
        height: first.height,
        points: sorted,
        hull: upperHull(sorted, bitrateScale),
      };
    })
    .sort((a, b) => a.height - b.height || a.width - b.width);
  return {
    metric,
    bitrateScale,
    ...(options.codec === undefined ? {} : { codec: options.codec }),
    points: upperHull(bestPerBitrate(scored), bitrateScale),
    curves,
  };
}

/**
 * Quality on the hull at a bitrate, interpolated along the hull's axis. Above the hull: its top
 * quality (the hull ends where quality stops rising). Below it: the first edge extended (PSNR is
 * near-linear in log rate there), never below 0.
 */
export function qualityAt(hull: RateQualityHull, bitrateKbps: number): number {
  return interpolate(hull.points, bitrateKbps, hull.bitrateScale);
}

/** Quality of one resolution's encode at a bitrate, on that resolution's own hull (rules as `qualityAt`). */
export function qualityOnCurve(hull: RateQualityHull, curve: ResolutionCurve, bitrateKbps: number): number {
  return interpolate(curve.hull, bitrateKbps, hull.bitrateScale);
}

/**
 * The resolution to encode at this bitrate: among the resolutions whose probes span it, the one
 * whose curve is highest there (ties: the smaller, cheaper to decode). Outside every span: the
 * resolution of the nearest hull point below it (the lowest hull point below the hull).
 */
export function bestResolutionAt(
  hull: RateQualityHull,
  bitrateKbps: number,
): { width: number; height: number } {
  let best: { curve: ResolutionCurve; quality: number } | undefined;
  for (const curve of hull.curves) {
    const low = curve.points[0]?.bitrateKbps ?? Number.POSITIVE_INFINITY;
    const high = curve.points[curve.points.length - 1]?.bitrateKbps ?? Number.NEGATIVE_INFINITY;
    if (bitrateKbps < low || bitrateKbps > high) continue;
    const quality = qualityOnCurve(hull, curve, bitrateKbps);
    if (!best || quality > best.quality) best = { curve, quality };
  }
  if (best) return { width: best.curve.width, height: best.curve.height };
  let below = hull.points[0];
  for (const point of hull.points) if (point.bitrateKbps <= bitrateKbps) below = point;
  if (!below) throw new RateQualityInputError('hull.points', 'is empty');
  return { width: below.width, height: below.height };
}

function checkProbe(probe: ProbePoint, index: number): void {
  const at = `probes[${index}]`;
  for (const field of ['width', 'height'] as const) {
    if (!(Number.isInteger(probe[field]) && probe[field] > 0)) {
      throw new RateQualityInputError(`${at}.${field}`, `must be a positive integer, got ${probe[field]}`);
    }
  }
  if (!(Number.isFinite(probe.bitrateKbps) && probe.bitrateKbps > 0)) {
    throw new RateQualityInputError(
      `${at}.bitrateKbps`,
      `must be a finite number > 0, got ${probe.bitrateKbps}`,
    );
  }
  if (!Number.isFinite(probe.psnrDb)) {
    throw new RateQualityInputError(`${at}.psnrDb`, `must be a finite number, got ${probe.psnrDb}`);
  }
  if (!(Number.isFinite(probe.ssim) && probe.ssim >= 0 && probe.ssim <= 1)) {
    throw new RateQualityInputError(`${at}.ssim`, `must be between 0 and 1, got ${probe.ssim}`);
  }
  if (probe.crf !== undefined && !Number.isFinite(probe.crf)) {
    throw new RateQualityInputError(`${at}.crf`, `must be a finite number when given, got ${probe.crf}`);
  }
}

/** By bitrate; of points at the same bitrate, the best quality (then the smaller resolution). */
function bestPerBitrate(points: readonly HullPoint[]): HullPoint[] {
  const sorted = [...points].sort(
    (a, b) =>
      a.bitrateKbps - b.bitrateKbps || b.quality - a.quality || a.height - b.height || a.width - b.width,
  );
  return sorted.filter((point, i) => i === 0 || point.bitrateKbps !== sorted[i - 1]?.bitrateKbps);
}

const axis = (bitrateKbps: number, scale: BitrateScale): number =>
  scale === 'log' ? Math.log(bitrateKbps) : bitrateKbps;

/**
 * Andrew's monotone chain, upper half, over points sorted by strictly increasing bitrate: a point
 * strictly under the line joining its neighbours is popped. Then the tail after the first highest
 * quality is cut: those points cost more for no more quality.
 */
function upperHull(sorted: readonly HullPoint[], scale: BitrateScale): HullPoint[] {
  const hull: HullPoint[] = [];
  for (const point of sorted) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2] as HullPoint;
      const b = hull[hull.length - 1] as HullPoint;
      const [xa, xb, xc] = [
        axis(a.bitrateKbps, scale),
        axis(b.bitrateKbps, scale),
        axis(point.bitrateKbps, scale),
      ];
      // > 0: b lies under the chord a→c.
      const cross = (xb - xa) * (point.quality - a.quality) - (b.quality - a.quality) * (xc - xa);
      if (cross > HULL_EPS) hull.pop();
      else break;
    }
    hull.push(point);
  }
  let top = 0;
  hull.forEach((point, i) => {
    if (point.quality > (hull[top]?.quality ?? Number.NEGATIVE_INFINITY)) top = i;
  });
  return hull.slice(0, top + 1);
}

function interpolate(points: readonly HullPoint[], bitrateKbps: number, scale: BitrateScale): number {
  const first = points[0];
  if (!first) throw new RateQualityInputError('hull.points', 'is empty');
  if (!(bitrateKbps > 0)) throw new RateQualityInputError('bitrateKbps', `must be > 0, got ${bitrateKbps}`);
  const last = points[points.length - 1] as HullPoint;
  if (bitrateKbps >= last.bitrateKbps) return last.quality;
  const x = axis(bitrateKbps, scale);
  const edge = (a: HullPoint, b: HullPoint): number => {
    const xa = axis(a.bitrateKbps, scale);
    return a.quality + ((b.quality - a.quality) * (x - xa)) / (axis(b.bitrateKbps, scale) - xa);
  };
  if (bitrateKbps < first.bitrateKbps) {
    const second = points[1];
    return second ? Math.max(0, edge(first, second)) : first.quality;
  }
  for (let i = 1; i < points.length; i++) {
    const b = points[i] as HullPoint;
    if (bitrateKbps <= b.bitrateKbps) return edge(points[i - 1] as HullPoint, b);
  }
  return last.quality;
}
