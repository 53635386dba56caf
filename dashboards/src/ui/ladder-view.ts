/**
 * How the ladder page reads a per-title plan (`GET /api/v1/videos/:id/ladder-plan`): chart geometry
 * (a log bitrate axis, one series per resolution), and the plain words for the audience, the bits
 * and the quality. Pure (no DOM), so each reading is tested in Node.
 */
import type { LadderPlanQuery, LadderPlanResponse } from '@streamloop/core/schemas/ladder-plan';
import { formatBits } from './experiment-view.js';
import { formatKbps, integer } from './format.js';

export type LadderPlan = LadderPlanResponse;
export type PlanPoint = LadderPlan['points'][number];
export type PlanRung = LadderPlan['proposed']['rungs'][number];
export type PlanAudience = LadderPlan['audience'];

/** A ratio of 0..1 as a percentage with one decimal ("12.5 %"). */
export const formatShare = (share: number): string => `${(share * 100).toFixed(1)} %`;

export const formatBitsPerViewerHour = (bits: number): string => `${formatBits(bits)} per viewer-hour`;

export const rungLabel = (rung: { height: number; bitrateKbps: number }): string =>
  `${rung.height}p @ ${formatKbps(rung.bitrateKbps)}`;

/** The smallest 1-2-5 decade bounds around [min, max] (a log axis that starts and ends on a tick). */
export function logDomain(values: readonly number[]): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [100, 1000];
  const steps = logTicks(Math.min(...positive) / 10, Math.max(...positive) * 10);
  const low = [...steps].reverse().find((t) => t <= Math.min(...positive)) ?? Math.min(...positive);
  const high = steps.find((t) => t >= Math.max(...positive)) ?? Math.max(...positive);
  return low === high ? [low / 2, high * 2] : [low, high];
}

/** 1-2-5 ticks per decade within [min, max]: 100, 200, 500, 1000, … */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  if (!(min > 0) || !(max >= min)) return ticks;
  for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const tick = Number((decade * step).toPrecision(6));
      if (tick >= min && tick <= max) ticks.push(tick);
    }
  }
  return ticks;
}

/** The quality axis: whole dB around the values, a tick every 1, 2 or 5 dB (about six ticks). */
export function qualityAxis(values: readonly number[]): { domain: [number, number]; ticks: number[] } {
  const finite = values.filter(Number.isFinite);
  const lowest = finite.length > 0 ? Math.min(...finite) : 30;
  const highest = finite.length > 0 ? Math.max(...finite) : 50;
  const step = [1, 2, 5, 10].find((s) => (highest - lowest) / s <= 6) ?? 10;
  const low = Math.floor((lowest - 0.5) / step) * step;
  const high = Math.ceil((highest + 0.5) / step) * step;
  const ticks: number[] = [];
  for (let t = low; t <= high + 1e-9; t += step) ticks.push(t);
  return { domain: [low, high], ticks };
}

/** Axis text of a bitrate tick: "200k", "1M", "2.5M". */
export function kbpsTick(kbps: number): string {
  return kbps >= 1000 ? `${Number((kbps / 1000).toPrecision(3))}M` : `${Number(kbps.toPrecision(3))}k`;
}

export interface ResolutionSeries {
  height: number;
  width: number;
  label: string;
  /** Lowest bitrate first: the line through the resolution's probe points. */
  points: PlanPoint[];
}

/** One series per resolution (short side), lowest first, each through its points by bitrate. */
export function resolutionSeries(points: readonly PlanPoint[]): ResolutionSeries[] {
  const byHeight = new Map<number, PlanPoint[]>();
  for (const point of points) byHeight.set(point.height, [...(byHeight.get(point.height) ?? []), point]);
  return [...byHeight.entries()]
    .sort(([a], [b]) => a - b)
    .map(([height, list]) => {
      const sorted = [...list].sort((a, b) => a.bitrateKbps - b.bitrateKbps);
      return { height, width: sorted[0]?.width ?? 0, label: `${height}p`, points: sorted };
    });
}

/** The points on the upper convex hull, by bitrate: the line the planner picks rungs from. */
export function hullPoints(points: readonly PlanPoint[]): PlanPoint[] {
  return points.filter((p) => p.onHull).sort((a, b) => a.bitrateKbps - b.bitrateKbps);
}

/** Every bitrate the charts place, so the axes hold the probe, both ladders and the audience. */
export function planBitrates(plan: LadderPlan): number[] {
  return [
    ...plan.points.map((p) => p.bitrateKbps),
    ...plan.proposed.rungs.map((r) => r.bitrateKbps),
    ...plan.current.rungs.map((r) => r.bitrateKbps),
  ];
}

/** Where the audience came from, in words, and whether it is the assumed reference one. */
export function audienceText(audience: PlanAudience): { source: string; reference: boolean } {
  const version = audience.featureVersion === null ? '' : `, title feature set v${audience.featureVersion}`;
  const views = `${integer.format(audience.samples)} ${audience.samples === 1 ? 'view' : 'views'}`;
  switch (audience.source) {
    case 'title':
      return { source: `This title's own viewers: ${views} measured${version}.`, reference: false };
    case 'fleet':
      return {
        source: `All viewers of the fleet (this title has too few views of its own): ${views} measured${version}.`,
        reference: false,
      };
    default:
      return {
        source:
          'Reference audience (assumed, nothing measured yet): no viewer throughput is in the feature store, so the plan is content-only until the feature jobs publish one.',
        reference: true,
      };
  }
}

/** proposed ÷ current bits per viewer-hour, as a factor and in words ("0.42 × — 58 % fewer bits"). */
export function bitsRatioText(ratio: number | null): string {
  if (ratio === null) return '— (the current ladder delivers no bits to compare with)';
  const change = Math.round((ratio - 1) * 100);
  const words =
    change === 0 ? 'the same bits' : change < 0 ? `${-change} % fewer bits` : `${change} % more bits`;
  return `${ratio.toFixed(2)} × (${words})`;
}

/** Expected quality difference, with a real minus sign: "+1.23 dB PSNR". */
export function qualityGainText(db: number): string {
  const text = Math.abs(db).toFixed(2);
  if (Number(text) === 0) return '±0.00 dB PSNR';
  return `${db > 0 ? '+' : '−'}${text} dB PSNR`;
}

/** The measured watch share of a current rung: the audience's reading for its height and bitrate. */
export function measuredShare(
  rung: { height: number; bitrateKbps: number },
  rungShare: PlanAudience['rungShare'],
): number | null {
  const candidates = rungShare.filter((r) => r.height === rung.height);
  if (candidates.length === 0) return null;
  const closest = candidates.reduce((best, r) =>
    Math.abs(r.bitrateKbps - rung.bitrateKbps) < Math.abs(best.bitrateKbps - rung.bitrateKbps) ? r : best,
  );
  return closest.share;
}

/** The constraints form as its fields read (strings); blank means "the planner's default". */
export interface ConstraintFields {
  maxRungs: string;
  minBitrateKbps: string;
  maxBitrateKbps: string;
  /** In percent on the form; the API takes a share (0–0.5). */
  dropBelowPercent: string;
}

/**
 * The query the form asks for. A field that is not a number is sent as typed, so the API's 400 names
 * it (the page never guesses what was meant).
 */
export function constraintsQuery(fields: ConstraintFields): Record<string, string> {
  const query: Record<string, string> = {};
  const put = (name: keyof LadderPlanQuery, raw: string, scale = 1) => {
    const text = raw.trim();
    if (text === '') return;
    const value = Number(text);
    query[name] = Number.isFinite(value) ? String(Number((value * scale).toPrecision(12))) : text;
  };
  put('maxRungs', fields.maxRungs);
  put('minBitrateKbps', fields.minBitrateKbps);
  put('maxBitrateKbps', fields.maxBitrateKbps);
  put('dropBelowWatchShare', fields.dropBelowPercent, 0.01);
  return query;
}

/** The form's fields for the constraints a plan applied (what the API echoes). */
export function constraintFields(constraints: LadderPlan['constraints']): ConstraintFields {
  return {
    maxRungs: String(constraints.maxRungs),
    minBitrateKbps: String(constraints.minBitrateKbps),
    maxBitrateKbps: String(constraints.maxBitrateKbps),
    dropBelowPercent: String(Number((constraints.dropBelowWatchShare * 100).toPrecision(12))),
  };
}

/** The POST body that opens the experiment: `experiment: true` and the constraints, as numbers. */
export function proposeBody(query: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = { experiment: true };
  for (const [name, value] of Object.entries(query)) {
    const number = Number(value);
    body[name] = Number.isFinite(number) ? number : value;
  }
  return body;
}
