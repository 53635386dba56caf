/**
 * How the experiment pages say what analytics' results mean, as plain text and states: pure (no DOM),
 * so every wording is tested in Node. The rule behind each: significance is the always-valid test
 * (safe however often someone looks); the fixed-horizon interval is shown for reference only and
 * always says it holds for one pre-planned look; a lift's sign never stands alone without "better"
 * or "worse", because for rebuffering a plus is bad news.
 */
import type {
  Experiment,
  ExperimentArmResult,
  ExperimentComparison,
  ExperimentGuardrailResult,
  ExperimentMetric,
  ExperimentResults,
} from '@streamloop/core/experiments';
import { formatKbps, formatMs, integer } from './format.js';

const fixed = (digits: number) => (v: number) => v.toFixed(digits);

/** Each metric's name and unit as results carry it (analytics' experiment-metrics.ts). */
export const METRICS: Readonly<Record<ExperimentMetric, { label: string; format: (v: number) => string }>> = {
  qoe_score: { label: 'QoE score', format: fixed(1) },
  startup_time_ms: { label: 'Startup time (mean per viewer)', format: formatMs },
  startup_time_p95_ms: { label: 'Startup time p95', format: formatMs },
  video_start_failure: { label: 'Video start failures', format: (v) => `${v.toFixed(2)} %` },
  rebuffer_ratio: { label: 'Rebuffer ratio (of watch time)', format: (v) => `${(v * 100).toFixed(2)} %` },
  rebuffer_ratio_cta2066: {
    label: 'Rebuffer ratio (CTA-2066)',
    format: (v) => `${(v * 100).toFixed(2)} %`,
  },
  rebuffer_frequency: { label: 'Rebuffers per hour', format: fixed(2) },
  bitrate_kbps: { label: 'Bitrate (time-weighted)', format: formatKbps },
  upscale_percent: { label: 'Upscaled time', format: (v) => `${v.toFixed(1)} %` },
  watch_time_per_view_ms: { label: 'Watch time per view', format: formatMs },
  bits_per_viewer_hour: { label: 'Bits per viewer-hour', format: formatBitsPerHour },
};

export const METRIC_ORDER = Object.keys(METRICS) as ExperimentMetric[];

export function metricLabel(metric: string): string {
  return METRICS[metric as ExperimentMetric]?.label ?? metric;
}

export function formatMetric(metric: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const known = METRICS[metric as ExperimentMetric];
  return known ? known.format(value) : String(value);
}

export function formatBits(bits: number): string {
  if (bits >= 1e12) return `${(bits / 1e12).toFixed(2)} Tbit`;
  if (bits >= 1e9) return `${(bits / 1e9).toFixed(2)} Gbit`;
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(1)} Mbit`;
  return `${integer.format(bits / 1e3)} kbit`;
}

export function formatBitsPerHour(bits: number): string {
  return `${formatBits(bits)}/h`;
}

/** Dollars with cents, or three significant digits under a cent (a small test costs fractions of one). */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (usd < 0.01) return `$${usd.toPrecision(3)}`;
  return `$${usd.toFixed(2)}`;
}

/** Bytes an arm's ladder stores over the videos in scope, and what that costs a month; '—' when unknown. */
export function storageText(
  arm: Pick<ExperimentArmResult, 'storageBytes' | 'storageCostUsdPerMonth'>,
): string {
  if (arm.storageBytes === null) return '—';
  const bytes = arm.storageBytes;
  const size = bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
  return arm.storageCostUsdPerMonth === null
    ? size
    : `${size} (${formatUsd(arm.storageCostUsdPerMonth)}/month)`;
}

/** The arm's watch share per rung, lowest rung first: a label and a percentage for a bar each. */
export function rungShares(
  arm: Pick<ExperimentArmResult, 'rungShare'>,
): { label: string; percent: number }[] {
  return [...arm.rungShare]
    .sort((a, b) => a.height - b.height || a.bitrateKbps - b.bitrateKbps)
    .map((r) => ({ label: `${r.height}p`, percent: Math.round(r.playTimePercent * 10) / 10 }));
}

/** A relative change (0.12 → "+12.0 %"), with a real minus sign; null → "—". */
export function formatLift(lift: number | null): string {
  if (lift === null) return '—';
  const percent = (lift * 100).toFixed(1);
  if (Number(percent) === 0) return '0.0 %';
  return lift > 0 ? `+${percent} %` : `−${percent.slice(1)} %`;
}

/** An interval of the relative lift; an unbounded end (null) is ∞. */
export function formatInterval(lower: number | null, upper: number | null): string {
  return `${lower === null ? '−∞' : formatLift(lower)} to ${upper === null ? '+∞' : formatLift(upper)}`;
}

export function formatPValue(p: number | null): string {
  if (p === null) return '—';
  if (p < 0.0001) return '< 0.0001';
  if (p >= 0.9995) return '1';
  return p < 0.01 ? p.toPrecision(2) : p.toFixed(3);
}

/** "p = 0.012", or "p < 0.0001" (never "p = < 0.0001"). */
export function pText(p: number | null): string {
  const text = formatPValue(p);
  return text.startsWith('<') ? `p ${text}` : `p = ${text}`;
}

export type SignificanceState = 'better' | 'worse' | 'not-significant' | 'no-look';

/** What the always-valid test says about one metric: the only reading to decide on. */
export function significance(c: ExperimentComparison): { state: SignificanceState; text: string } {
  if (c.noLookReason !== null) return { state: 'no-look', text: `No test yet: ${c.noLookReason}` };
  const p = `always-valid ${pText(c.alwaysValid.pValue)}`;
  if (c.significant && c.verdict === 'worse') return { state: 'worse', text: `Worse, significant (${p})` };
  if (c.significant && c.verdict === 'better') return { state: 'better', text: `Better, significant (${p})` };
  return { state: 'not-significant', text: `Not significant: no difference shown yet (${p})` };
}

/** The interval a one-look analysis would give: labelled so nobody peeks with it. */
export function fixedHorizonText(c: ExperimentComparison): string {
  const { lower, upper, pValue } = c.fixedHorizon;
  if (lower === null && upper === null && pValue === null) return '— (one pre-planned look only)';
  return `${formatInterval(lower, upper)}, ${pText(pValue)} (one pre-planned look only)`;
}

export type GuardrailState = ExperimentGuardrailResult['status'];

const GUARDRAIL_LABELS: Readonly<Record<GuardrailState, string>> = {
  breached: 'Breached',
  ok: 'Holding',
  inconclusive: 'Not decided yet',
};

export function guardrailText(g: ExperimentGuardrailResult): { status: string; harm: string } {
  return {
    status: `${GUARDRAIL_LABELS[g.status]}: ${g.reason}`,
    harm: `${formatInterval(g.harmLower, g.harmUpper)} worse (margin ${g.marginPercent} %)`,
  };
}

/**
 * Why a breached guardrail below did not stop its arm, when that is the reason: the results count
 * simulated viewers, whose breaches are reported only. Null when guardrails act or nothing runs.
 */
export function guardrailsReportOnly(
  results: Pick<ExperimentResults, 'status' | 'guardrailsEnforced' | 'synthetic'>,
): string | null {
  if (results.guardrailsEnforced || results.status !== 'running') return null;
  return `Counting ${results.synthetic === 'all' ? 'real and simulated' : 'simulated'} viewers: a breach here is reported only. Arms are stopped on real viewers’ results alone.`;
}

/** An arm's serving state: stopped (with when and why) or what the experiment is doing. */
export function armState(
  arm: Pick<ExperimentArmResult, 'stopped' | 'control'>,
  status: Experiment['status'],
): { state: 'stopped' | 'serving' | 'idle'; text: string } {
  if (arm.stopped !== null)
    return {
      state: 'stopped',
      text: `Stopped ${formatTime(arm.stopped.at)}: ${arm.stopped.reason} (its viewers get control)`,
    };
  if (status === 'running') return { state: 'serving', text: 'Serving' };
  return { state: 'idle', text: status === 'draft' ? 'Not started' : `Experiment ${status}` };
}

/** The sample-ratio-mismatch line: a flagged split makes every other number suspect, so it says so. */
export function srmText(
  srm: ExperimentResults['sampleRatioMismatch'],
  arms: readonly string[],
): {
  flagged: boolean;
  text: string;
} {
  if (srm === null) return { flagged: false, text: 'Traffic split: no viewers yet to check it against.' };
  const pairs = arms.map(
    (arm, i) =>
      `${arm} ${integer.format(srm.observedViewers[i] ?? 0)} (expected ${integer.format(srm.expectedViewers[i] ?? 0)})`,
  );
  const test = `χ² = ${srm.chiSquare.toFixed(1)}, ${pText(srm.pValue)}`;
  if (srm.flagged)
    return {
      flagged: true,
      text: `Sample ratio mismatch: viewers per arm do not follow the configured split (${pairs.join(', ')}; ${test}, flagged below 0.001, as of ${formatTime(srm.asOf)}). Assignment or logging is broken somewhere; do not trust these results until that is explained.`,
    };
  return {
    flagged: false,
    text: `Traffic split as configured (${pairs.join(', ')}; ${test}, as of ${formatTime(srm.asOf)}).`,
  };
}

/** Views line of an arm: how many of them simulated viewers made, never hidden. */
export function viewsText(arm: Pick<ExperimentArmResult, 'views' | 'syntheticViews'>): string {
  const views = integer.format(arm.views);
  if (arm.syntheticViews === 0) return views;
  if (arm.syntheticViews === arm.views) return `${views} (all simulated)`;
  return `${views} (${integer.format(arm.syntheticViews)} simulated)`;
}

/** A bar per look: −log10(p) on a scale where α sits at a mark, capped at p = 10⁻⁶. */
export const TIMELINE_MAX = 6;
export function timelineBar(p: number | null): number {
  if (p === null) return 0;
  return Math.min(TIMELINE_MAX, Math.max(0, -Math.log10(Math.max(p, 10 ** -TIMELINE_MAX))));
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
