/**
 * The dashboards' privacy floor (issue 15; docs/dashboards.md, "Privacy floor"): an aggregate row
 * backed by fewer than k distinct viewers (QOE_PRIVACY_MIN_VIEWERS, default 5) leaves the answer and
 * is only named, so no breakdown cell, rung or views list singles out one person. The floor counts
 * people: an answer over simulated viewers only (`synthetic=synthetic`) has none.
 *
 * What it does not stop, and says so in the docs: differencing (the fleet's total minus the shown
 * rows), and a filter typed into the URL that narrows the overview or the time series to a few
 * viewers; those answers are aggregates over a range, and the per-view data needs 'analytics-views'.
 */
import type { SyntheticScope } from '@streamloop/core/schemas/qoe-api';

export const DEFAULT_PRIVACY_MIN_VIEWERS = 5;

/** The k that applies to an answer in `scope` (unset: real viewers, the API's default). */
export const minViewersFor = (k: number, scope: SyntheticScope | undefined): number =>
  scope === 'synthetic' ? 1 : k;

/**
 * Rows with at least `minViewers` viewers, and the names of the rest. `viewers` counts those who asked
 * to play, so a row of views that never did has 0: withheld under any floor, kept when k = 1 (no floor).
 */
export function applyPrivacyFloor<T extends { viewers: number }>(
  rows: readonly T[],
  minViewers: number,
  nameOf: (row: T) => string,
): { rows: T[]; privacy: { minViewers: number; suppressed: string[] } } {
  const kept: T[] = [];
  const suppressed: string[] = [];
  for (const row of rows) {
    if (minViewers <= 1 || row.viewers >= minViewers) kept.push(row);
    else suppressed.push(nameOf(row));
  }
  return { rows: kept, privacy: { minViewers, suppressed } };
}
