import { AppError } from '@streamloop/core/errors';

/** S3's own limit on a key. */
export const MAX_KEY_BYTES = 1024;
/** Most filesystems' limit on one path segment; applied to S3 too so the local folder can hold any valid key. */
export const MAX_SEGMENT_BYTES = 255;

export class InvalidObjectKeyError extends AppError {
  readonly key: string;
  constructor(key: string, reason: string, what = 'object key') {
    super(
      'ERR_VALIDATION',
      `invalid ${what} ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}: ${reason}`,
    );
    this.name = 'InvalidObjectKeyError';
    this.key = key;
  }
}

/**
 * The one rule set every adapter applies, so keys behave the same on S3 and on disk. Besides the
 * obvious (empty, too long), it refuses what a filesystem would reinterpret: absolute paths, '.'
 * and '..' segments (path traversal out of the root), empty segments ('a//b' is 'a/b' on disk),
 * backslashes (a separator on Windows), and control characters.
 */
export function validateObjectKey(key: string): string {
  const reason = keyProblem(key, false);
  if (reason !== undefined) throw new InvalidObjectKeyError(key, reason);
  return key;
}

/** A prefix may be '' and may end in '/' or in the middle of a segment; otherwise the key rules apply. */
export function validatePrefix(prefix: string): string {
  const reason = keyProblem(prefix, true);
  if (reason !== undefined) throw new InvalidObjectKeyError(prefix, reason, 'key prefix');
  return prefix;
}

/** Like a prefix, but never '': one empty variable must not be able to wipe the whole store. */
export function validateDeletePrefix(prefix: string): string {
  if (prefix === '')
    throw new InvalidObjectKeyError(prefix, 'must not be empty (it would delete every object)', 'key prefix');
  return validatePrefix(prefix);
}

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (typeof key !== 'string') return 'must be a string';
  if (key === '') return isPrefix ? undefined : 'must not be empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return "must not start with '/'";
  if (key.includes('\\')) return 'must not contain a backslash';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects.
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'must not contain NUL or other control characters';
  // With the u flag a surrogate class only matches unpaired halves, which UTF-8 cannot encode.
  if (/[\uD800-\uDFFF]/u.test(key)) return 'must be valid Unicode (lone surrogate)';
  const segments = key.split('/');
  // In a prefix the last segment may be partial ('videos/ab') or empty ('videos/').
  const whole = isPrefix ? segments.slice(0, -1) : segments;
  for (const segment of whole) {
    if (segment === '') return "must not contain empty segments ('//' or a trailing '/')";
    if (segment === '.' || segment === '..') return `must not contain '${segment}' segments`;
  }
  const last = segments[segments.length - 1]!;
  if (isPrefix && last === '..') return "must not contain '..' segments";
  for (const segment of segments) {
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES)
      return `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

/** Whether `get()` could ever reach `key`: listings skip objects written by hand under other names. */
export function isValidObjectKey(key: string): boolean {
  try {
    validateObjectKey(key);
    return true;
  } catch {
    return false;
  }
}
