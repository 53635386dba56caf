/**
 * Parses a beacon body as JSON without the two traps of a bare `JSON.parse` on hostile input:
 * nesting deep enough to blow the stack of whatever walks the result later, and `__proto__` /
 * `constructor.prototype` keys that turn into prototype pollution once a value is spread or merged.
 * The depth scan runs on the text first, so a 10k-deep body is refused before anything is built.
 */
import { AppError } from '@streamloop/core/errors';
import secureJson from 'secure-json-parse';

/** Deepest nesting of arrays and objects in `text`, stopping early once it passes `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Throws ERR_VALIDATION naming what is wrong; returns the parsed value otherwise. */
export function parseUntrustedJson(text: string, maxDepth: number): unknown {
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new AppError('ERR_VALIDATION', `the body nests deeper than ${maxDepth} levels`);
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    if (err instanceof SyntaxError && /prototype/i.test(err.message)) {
      throw new AppError('ERR_VALIDATION', 'the body has a __proto__ or constructor.prototype key');
    }
    throw new AppError('ERR_VALIDATION', 'the body is not JSON; send a JSON array of beacons');
  }
}
