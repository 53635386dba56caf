/**
 * JSON schemas of the QoE routes. Fastify serializes responses through them and drops any property
 * they do not name, so every metric of qoe-model.ts is listed here once and reused by each route.
 */
import { DIMENSION_NAMES } from './qoe-filters.js';
import { INTERVALS_MS } from './time-range.js';

const nullableNumber = { type: ['number', 'null'] } as const;
const count = { type: 'integer', minimum: 0 } as const;
// Same rule as a beacon's ids (core/schemas/beacon.ts).
export const idSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9_.:-]+$',
} as const;
const filterValue = { type: 'string', maxLength: 128 } as const;
const instant = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** from, to and every filter; videoId keeps the id rule. */
export const filterProperties = {
  from: instant,
  to: instant,
  ...Object.fromEntries(DIMENSION_NAMES.map((name) => [name, name === 'videoId' ? idSchema : filterValue])),
};

const COUNTS = ['views', 'plays', 'viewers', 'errors', 'rebufferCount', 'seekCount'] as const;
const NUMBERS = ['watchTimeMs', 'playTimeMs', 'pauseTimeMs', 'rebufferTimeMs'] as const;
const NULLABLE = [
  'videoStartFailurePercent',
  'exitBeforeVideoStartPercent',
  'playbackFailurePercent',
  'rebufferPercent',
  'rebufferFrequencyPerMinute',
  'rebufferRatio',
  'rebufferPercentCta2066',
  'rebufferFrequencyPerMinuteCta2066',
  'seekLatencyMsAvg',
  'averageBitrateKbps',
  'upscalePercent',
  'qoeScore',
] as const;

export const metricsProperties = {
  ...Object.fromEntries(COUNTS.map((name) => [name, count])),
  ...Object.fromEntries(NUMBERS.map((name) => [name, { type: 'number' }])),
  ...Object.fromEntries(NULLABLE.map((name) => [name, nullableNumber])),
  startupTimeMs: {
    type: 'object',
    properties: { p50: nullableNumber, p90: nullableNumber, p95: nullableNumber },
    required: ['p50', 'p90', 'p95'],
  },
  qoeScoreComponents: {
    type: ['object', 'null'],
    properties: {
      startup: { type: 'number' },
      smoothness: { type: 'number' },
      reliability: { type: 'number' },
      quality: { type: 'number' },
    },
  },
};
export const metricsRequired = [...COUNTS, ...NUMBERS, ...NULLABLE, 'startupTimeMs', 'qoeScoreComponents'];

export const renditionSchema = {
  type: 'object',
  properties: {
    rendition: { type: 'string' },
    height: count,
    bitrateKbps: count,
    views: count,
    viewers: count,
    playTimeMs: { type: 'number' },
    playTimePercent: { type: 'number' },
  },
} as const;

/** The range actually used (whole minutes, ISO 8601 UTC, `to` exclusive) and the filters applied. */
export const rangeProperties = {
  from: { type: 'string' },
  to: { type: 'string' },
  filters: { type: 'object', additionalProperties: { type: 'string' } },
} as const;

export const intervalNames = ['auto', ...Object.keys(INTERVALS_MS)];
