/**
 * What the overview's cards and chart say, pure (no DOM): the metrics, each with how its change
 * against the period before is written (relative for counts and times, points for ratios and the
 * score) and which way is better.
 */
import type { QoeMetrics } from '@streamloop/core/schemas/qoe-api';
import { formatDuration, formatKbps, formatMs, formatRatio, integer } from './format.js';

export type Metrics = QoeMetrics;

export interface Metric {
  /** `[data-metric]` and `[data-delta]` of its card, and its `?metric=` name. */
  name: string;
  label: string;
  value: (m: Metrics) => number | null;
  format: (v: number) => string;
  /** Counts and times change relatively (%); ratios and the score in points of their own scale. */
  change: { kind: 'relative' } | { kind: 'points'; scale: number; unit: string; digits: number };
  /** Which way is good for viewers (or for the business, for plays and watch time). */
  better: 'higher' | 'lower';
}

const RELATIVE = { kind: 'relative' } as const;
export const METRICS: Metric[] = [
  {
    name: 'plays',
    label: 'Plays',
    value: (m) => m.plays,
    format: integer.format,
    change: RELATIVE,
    better: 'higher',
  },
  {
    name: 'viewers',
    label: 'Viewers',
    value: (m) => m.viewers,
    format: integer.format,
    change: RELATIVE,
    better: 'higher',
  },
  {
    name: 'qoe-score',
    label: 'QoE score',
    value: (m) => m.qoeScore,
    format: (v) => v.toFixed(1),
    change: { kind: 'points', scale: 1, unit: 'points', digits: 1 },
    better: 'higher',
  },
  {
    name: 'startup-p50',
    label: 'Startup p50',
    value: (m) => m.startupTimeMs.p50,
    format: formatMs,
    change: RELATIVE,
    better: 'lower',
  },
  {
    name: 'startup-p95',
    label: 'Startup p95',
    value: (m) => m.startupTimeMs.p95,
    format: formatMs,
    change: RELATIVE,
    better: 'lower',
  },
  {
    name: 'start-failures',
    label: 'Video start failures',
    value: (m) => m.videoStartFailurePercent,
    format: (v) => `${v.toFixed(2)} %`,
    change: { kind: 'points', scale: 1, unit: 'pts', digits: 2 },
    better: 'lower',
  },
  {
    name: 'rebuffer-ratio',
    label: 'Rebuffer ratio',
    value: (m) => m.rebufferRatio,
    format: formatRatio,
    // A fraction shown as a percent: its change in percentage points.
    change: { kind: 'points', scale: 100, unit: 'pts', digits: 2 },
    better: 'lower',
  },
  {
    name: 'bitrate',
    label: 'Bitrate',
    value: (m) => m.averageBitrateKbps,
    format: formatKbps,
    change: RELATIVE,
    better: 'higher',
  },
  {
    name: 'watch-time',
    label: 'Watch time',
    value: (m) => m.watchTimeMs,
    format: formatDuration,
    change: RELATIVE,
    better: 'higher',
  },
  {
    name: 'errors',
    label: 'Errors',
    value: (m) => m.errors,
    format: integer.format,
    change: RELATIVE,
    better: 'lower',
  },
];

export const metricOf = (name: string): Metric =>
  METRICS.find((metric) => metric.name === name) ?? METRICS[0]!;

/** "24 h", "7 d", "90 min": the range's length, for "vs the previous …". */
export function spanLabel(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 1440 === 0 && minutes >= 2 * 1440) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

/** The change from `before` to `now`, in words, and whether it is better, worse, the same or unknown. */
export function describeChange(
  metric: Metric,
  now: number | null,
  before: number | null,
): { text: string; direction: 'better' | 'worse' | 'same' | 'none' } {
  if (now === null || before === null || (metric.change.kind === 'relative' && before === 0 && now !== 0)) {
    return { text: 'nothing to compare with in the period before', direction: 'none' };
  }
  const diff = now - before;
  if (diff === 0) return { text: 'no change from the period before', direction: 'same' };
  const up = diff > 0;
  const direction = up === (metric.better === 'higher') ? 'better' : 'worse';
  const sign = up ? '+' : '−';
  const text =
    metric.change.kind === 'relative'
      ? `${sign}${((Math.abs(diff) / before) * 100).toFixed(1)} %`
      : `${sign}${(Math.abs(diff) * metric.change.scale).toFixed(metric.change.digits)} ${metric.change.unit}`;
  return { text, direction };
}
