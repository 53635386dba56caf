/**
 * Reads the CMCD (CTA-5004) data a player attached to a media request: the `CMCD` query parameter
 * (query mode) or the `CMCD-Request`/`-Object`/`-Status`/`-Session` headers (header mode). Decoding
 * is @svta/cml-cmcd's; this file only keeps the keys the beacon schema carries, with the types it
 * allows. Never throws: an undecodable payload is a value the caller counts, never a failed request.
 */

import type { Beacon } from '@streamloop/core/schemas/beacon';
import {
  CMCD_HEADER_FIELDS,
  CMCD_PARAM,
  type CmcdData,
  fromCmcdHeaders,
  fromCmcdQuery,
} from '@svta/cml-cmcd';

/** The beacon's `cmcd` object without `path` (the origin adds that, not the player). */
export type CmcdKeys = Omit<NonNullable<Beacon['cmcd']>, 'path'>;
export type CmcdKey = keyof CmcdKeys;

export type CmcdReading =
  | { kind: 'none' }
  /** Present but not decodable as CMCD (RFC 8941 dictionary), or larger than any real payload. */
  | { kind: 'malformed'; mode: CmcdMode; reason: string }
  /** `rejected`: keys the player sent with a value the schema cannot hold (dropped, counted by the caller). */
  | { kind: 'ok'; mode: CmcdMode; keys: CmcdKeys; rejected: CmcdKey[] };

export type CmcdMode = 'query' | 'header';

export interface CmcdRequestInput {
  /** The raw request URI, query included. */
  uri: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A full CTA-5004 payload with every key is ~400 bytes; far larger is not a player's. */
export const MAX_CMCD_BYTES = 4096;

const LOWER_HEADER_FIELDS = CMCD_HEADER_FIELDS.map((field) => field.toLowerCase());

export function readCmcd(input: CmcdRequestInput): CmcdReading {
  const headers = cmcdHeadersOf(input.headers);
  // Headers win when a request has both, as in the CMCD validator of @svta/cml-cmcd.
  if (headers !== undefined) return decode('header', headers.size, () => fromCmcdHeaders(headers.values));
  const question = input.uri.indexOf('?');
  if (question === -1) return { kind: 'none' };
  const query = new URLSearchParams(input.uri.slice(question + 1));
  const param = query.get(CMCD_PARAM);
  if (param === null) return { kind: 'none' };
  return decode('query', param.length, () => fromCmcdQuery(query));
}

function decode(mode: CmcdMode, size: number, decoder: () => CmcdData): CmcdReading {
  if (size > MAX_CMCD_BYTES)
    return { kind: 'malformed', mode, reason: `larger than ${MAX_CMCD_BYTES} bytes` };
  let data: CmcdData;
  try {
    data = decoder();
  } catch (err) {
    return { kind: 'malformed', mode, reason: (err as Error).message.slice(0, 200) };
  }
  const { keys, rejected } = pickBeaconKeys(data as Record<string, unknown>);
  return { kind: 'ok', mode, keys, rejected };
}

function cmcdHeadersOf(headers: CmcdRequestInput['headers']): { values: Headers; size: number } | undefined {
  let values: Headers | undefined;
  let size = 0;
  for (const name of LOWER_HEADER_FIELDS) {
    const raw = headers[name];
    if (raw === undefined) continue;
    // A repeated header arrives as an array: its members are one dictionary (RFC 9110 §5.3).
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    values ??= new Headers();
    values.set(name, value);
    size += value.length;
  }
  return values === undefined ? undefined : { values, size };
}

type Coerce = (value: unknown) => unknown;

// CMCD's integers fit UInt32 columns downstream; a value beyond that is not a real measurement.
const MAX_INTEGER = 2 ** 32 - 1;
const TOKEN = /^[A-Za-z0-9]{1,8}$/;

const integer: Coerce = (value) => {
  const n = first(value);
  // Integers by the spec; a player that sends a decimal still meant the number.
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= MAX_INTEGER
    ? Math.round(n)
    : undefined;
};
const decimal: Coerce = (value) => {
  const n = first(value);
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
};
const boolean: Coerce = (value) => {
  const b = first(value);
  return typeof b === 'boolean' ? b : undefined;
};
const token: Coerce = (value) => {
  const s = first(value);
  return typeof s === 'string' && TOKEN.test(s) ? s : undefined;
};
const text: Coerce = (value) => {
  const s = first(value);
  return typeof s === 'string' && s.length > 0 && s.length <= 128 ? s : undefined;
};

/** The CTA-5004 keys the beacon carries, and how each must look (core/schemas/beacon.ts). */
const KEYS: Readonly<Record<CmcdKey, Coerce>> = {
  br: integer,
  bl: integer,
  d: integer,
  ot: token,
  sid: text,
  cid: text,
  mtp: integer,
  su: boolean,
  bs: boolean,
  tb: integer,
  pr: decimal,
  sf: token,
  st: token,
  rtp: integer,
};

function pickBeaconKeys(data: Record<string, unknown>): { keys: CmcdKeys; rejected: CmcdKey[] } {
  const keys: Record<string, unknown> = {};
  const rejected: CmcdKey[] = [];
  for (const [key, coerce] of Object.entries(KEYS) as [CmcdKey, Coerce][]) {
    if (!(key in data)) continue;
    const value = coerce(data[key]);
    if (value === undefined) rejected.push(key);
    else keys[key] = value;
  }
  return { keys: keys as CmcdKeys, rejected };
}

/**
 * CMCD v2 sends `br`, `bl`, `mtp`, `tb`, ... as inner lists (`br=(3200)`), v1 as plain items; an item
 * may carry parameters (an SfItem). The first bare value is what a v1 reader would have seen.
 */
function first(value: unknown): unknown {
  const item = Array.isArray(value) ? value[0] : value;
  if (typeof item === 'object' && item !== null && 'value' in item) return (item as { value: unknown }).value;
  return item;
}
