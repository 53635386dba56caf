/**
 * `from`/`to` of the QoE API: ISO 8601 (a date, or a date-time WITH an offset — without one it would
 * mean the server's local time) or epoch milliseconds. Defaults: the 24 hours up to now.
 */
export const DEFAULT_RANGE_MS = 24 * 3600 * 1000;
/** Longer ranges belong to rollups (issue 6), not to a scan of raw beacons. */
export const MAX_RANGE_MS = 366 * 24 * 3600 * 1000;

const EPOCH_MS = /^\d{1,15}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export type TimeRange = { ok: true; fromMs: number; toMs: number } | { ok: false; message: string };

export function parseInstant(raw: string): number | undefined {
  // An unencoded '+' in a query string arrives as a space: '...T10:00:00 02:00'.
  const value = raw.trim().replace(/ (\d{2}:\d{2})$/, '+$1');
  if (EPOCH_MS.test(value)) return Number(value);
  if (!ISO_8601.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseTimeRange(
  query: { from?: string | undefined; to?: string | undefined },
  nowMs: number,
): TimeRange {
  const toMs = query.to === undefined ? nowMs : parseInstant(query.to);
  if (toMs === undefined) return invalid('to', query.to);
  const fromMs = query.from === undefined ? toMs - DEFAULT_RANGE_MS : parseInstant(query.from);
  if (fromMs === undefined) return invalid('from', query.from);
  if (fromMs >= toMs) return { ok: false, message: '"from" must be before "to"' };
  if (toMs - fromMs > MAX_RANGE_MS) return { ok: false, message: 'the range is longer than 366 days' };
  return { ok: true, fromMs, toMs };
}

function invalid(name: string, value: string | undefined): TimeRange {
  return {
    ok: false,
    message: `"${name}" (${JSON.stringify(value)}) is neither epoch milliseconds nor ISO 8601 (2025-01-31, 2025-01-31T12:00:00Z)`,
  };
}

const MINUTE_MS = 60_000;

/**
 * The QoE rollups are per minute: `from` rounds down and `to` up to whole minutes (UTC), and the API
 * answers with the range it used.
 */
export function alignToMinutes(range: { fromMs: number; toMs: number }): { fromMs: number; toMs: number } {
  return {
    fromMs: Math.floor(range.fromMs / MINUTE_MS) * MINUTE_MS,
    toMs: Math.ceil(range.toMs / MINUTE_MS) * MINUTE_MS,
  };
}

/** Time-series bucket sizes the API offers, by name. */
export const INTERVALS_MS = {
  '1m': MINUTE_MS,
  '5m': 5 * MINUTE_MS,
  '15m': 15 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '6h': 6 * 60 * MINUTE_MS,
  '1d': 24 * 60 * MINUTE_MS,
} as const;
export type IntervalName = keyof typeof INTERVALS_MS;
/** `auto` picks the finest interval with at most this many points. */
export const AUTO_MAX_POINTS = 200;
/** A given interval may ask for this many points at most. */
export const MAX_POINTS = 1_500;

export type Interval = { ok: true; name: IntervalName; intervalMs: number } | { ok: false; message: string };

export function chooseInterval(
  name: IntervalName | 'auto',
  range: { fromMs: number; toMs: number },
): Interval {
  const spanMs = range.toMs - range.fromMs;
  if (name === 'auto') {
    const names = Object.keys(INTERVALS_MS) as IntervalName[];
    const fits = names.find((n) => Math.ceil(spanMs / INTERVALS_MS[n]) <= AUTO_MAX_POINTS) ?? '1d';
    return { ok: true, name: fits, intervalMs: INTERVALS_MS[fits] };
  }
  const intervalMs = INTERVALS_MS[name];
  if (Math.ceil(spanMs / intervalMs) > MAX_POINTS) {
    return {
      ok: false,
      message: `interval ${name} over this range gives more than ${MAX_POINTS} points; use a longer interval or "auto"`,
    };
  }
  return { ok: true, name, intervalMs };
}
