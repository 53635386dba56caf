/**
 * The filters every QoE route takes, and the SQL conditions they become. Column names come from the
 * allowlist below (code), values are bound as `{f_<name>:String}` parameters. The synthetic scope
 * (real viewers, simulated ones or both) is a condition of its own, from code only.
 */
import {
  DEFAULT_SYNTHETIC_SCOPE,
  type QoeFilters,
  SYNTHETIC_SCOPES,
  type SyntheticScope,
} from '@streamloop/core/schemas/qoe-api';
import type { DimensionColumn } from './qoe-view-sql.js';

/** API name → rollup column: the filters, and the dimensions a breakdown can group by. */
export const DIMENSIONS = {
  videoId: 'video_id',
  variant: 'variant',
  ladderId: 'ladder_id',
  browser: 'browser',
  os: 'os',
  deviceClass: 'device_class',
  country: 'country',
  cohort: 'cohort',
  networkClass: 'network_class',
} as const satisfies Record<keyof QoeFilters, DimensionColumn>;
export type Dimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

/** Which views a scope counts, on the `synthetic` column of views and rollup rows alike. */
const SCOPE_CONDITIONS: Record<SyntheticScope, string> = {
  real: 'AND synthetic = 0',
  synthetic: 'AND synthetic = 1',
  all: '',
};

/**
 * `AND column = {f_name:String}` for each filter set, then the scope's condition, with the
 * parameters. '' matches unknown.
 */
export function filterConditions(
  filters: QoeFilters,
  scope: SyntheticScope,
): { sql: string; params: Record<string, string> } {
  const parts: string[] = [];
  const params: Record<string, string> = {};
  for (const name of DIMENSION_NAMES) {
    const value = filters[name];
    if (value === undefined) continue;
    parts.push(`AND ${DIMENSIONS[name]} = {f_${name}:String}`);
    params[`f_${name}`] = value;
  }
  if (SCOPE_CONDITIONS[scope] !== '') parts.push(SCOPE_CONDITIONS[scope]);
  return { sql: parts.join(' '), params };
}

/** Only the filters out of a route's query string. */
export function pickFilters(query: Partial<Record<Dimension, string>>): QoeFilters {
  const filters: QoeFilters = {};
  for (const name of DIMENSION_NAMES) {
    const value = query[name];
    if (value !== undefined) filters[name] = value;
  }
  return filters;
}

/** `?synthetic=` of a route: absent means real viewers only; anything unknown is an error message. */
export function parseSyntheticScope(
  raw: string | undefined,
): { ok: true; scope: SyntheticScope } | { ok: false; message: string } {
  if (raw === undefined) return { ok: true, scope: DEFAULT_SYNTHETIC_SCOPE };
  const scope = SYNTHETIC_SCOPES.find((allowed) => allowed === raw);
  if (scope !== undefined) return { ok: true, scope };
  return {
    ok: false,
    message: `synthetic must be one of ${SYNTHETIC_SCOPES.join(', ')} (default ${DEFAULT_SYNTHETIC_SCOPE}), got ${JSON.stringify(raw)}`,
  };
}
