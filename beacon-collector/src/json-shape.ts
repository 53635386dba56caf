/**
 * Parses a beacon body as JSON without the two traps of a bare `JSON.parse` on hostile input:
 * nesting deep enough to blow the stack of whatever walks the result later, and `__proto__` /
 * `constructor.prototype` keys that turn into prototype pollution once a value is merged or assigned.
 *
 * V8's `JSON.parse` is iterative (a 64 KiB body nests at most 32k deep, which it builds without
 * recursion) and makes `__proto__` an ordinary own key, never the prototype; so the body is parsed
 * natively first and the result walked ONCE, down to `maxDepth` and no deeper, looking for both.
 * (A character scan of the text before parsing cost as much as the parse itself — profiled, issue 16.)
 */
import { AppError } from '@streamloop/core/errors';

const hasOwn = (value: object, key: string): boolean => Object.hasOwn(value, key);

/** Throws ERR_VALIDATION for nesting past `maxDepth` (the outermost array or object is level 1) or a polluting key. */
function checkShape(value: unknown, maxDepth: number, depth: number): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > maxDepth) throw new AppError('ERR_VALIDATION', `the body nests deeper than ${maxDepth} levels`);
  if (Array.isArray(value)) {
    for (const item of value) checkShape(item, maxDepth, depth + 1);
    return;
  }
  if (hasOwn(value, '__proto__')) {
    throw new AppError('ERR_VALIDATION', 'the body has a __proto__ or constructor.prototype key');
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const field = record[key];
    if (key === 'constructor' && typeof field === 'object' && field !== null && hasOwn(field, 'prototype')) {
      throw new AppError('ERR_VALIDATION', 'the body has a __proto__ or constructor.prototype key');
    }
    checkShape(field, maxDepth, depth + 1);
  }
}

/** Throws ERR_VALIDATION naming what is wrong; returns the parsed value otherwise. */
export function parseUntrustedJson(text: string, maxDepth: number): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('ERR_VALIDATION', 'the body is not JSON; send a JSON array of beacons');
  }
  checkShape(parsed, maxDepth, 1);
  return parsed;
}
