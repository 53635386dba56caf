/**
 * The filters every QoE route takes, and the SQL conditions they become. Column names come from the
 * allowlist below (code), values are bound as `{f_<name>:String}` parameters.
 */
import type { QoeFilters } from '@streamloop/core/schemas/qoe-api';
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
} as const satisfies Record<keyof QoeFilters, DimensionColumn>;
export type Dimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

/** `AND column = {f_name:String}` for each filter set, with its parameters. '' matches unknown. */
export function filterConditions(filters: QoeFilters): { sql: string; params: Record<string, string> } {
  const parts: string[] = [];
  const params: Record<string, string> = {};
  for (const name of DIMENSION_NAMES) {
    const value = filters[name];
    if (value === undefined) continue;
    parts.push(`AND ${DIMENSIONS[name]} = {f_${name}:String}`);
    params[`f_${name}`] = value;
  }
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
