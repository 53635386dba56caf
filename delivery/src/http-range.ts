/**
 * The one `Range` form players send: a single byte range. RFC 9110 §14.2 lets a server ignore a
 * Range it does not support, so multiple ranges and unknown units get the whole object (200).
 */
export type RangeRequest =
  | { kind: 'none' }
  | { kind: 'from'; start: number; end?: number }
  /** The last `length` bytes (`bytes=-500`); needs the object size to become a start. */
  | { kind: 'suffix'; length: number };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

export function parseRange(header: string | undefined): RangeRequest {
  if (header === undefined) return { kind: 'none' };
  const match = SINGLE.exec(header.trim().replace(/\s+/g, ''));
  if (!match) return { kind: 'none' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'none' };
  if (first === '') {
    const length = Number(last);
    return Number.isSafeInteger(length) ? { kind: 'suffix', length } : { kind: 'none' };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return { kind: 'none' };
  if (last === '') return { kind: 'from', start };
  const end = Number(last);
  // An end before the start makes the header invalid, which means: ignore it.
  if (!Number.isSafeInteger(end) || end < start) return { kind: 'none' };
  return { kind: 'from', start, end };
}
