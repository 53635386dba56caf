import type { RankedMember } from './feature-store.js';

/**
 * Orders strings by Unicode code point, which is the byte order of their UTF-8 encoding and so the
 * order Redis uses for equal scores. Plain `<` compares UTF-16 code units, which puts astral
 * characters before U+E000–U+FFFF and would disagree with Redis.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Highest score first, ties by member ascending. */
export function compareRanked(a: RankedMember, b: RankedMember): number {
  if (a.score !== b.score) return b.score > a.score ? 1 : -1;
  return compareCodePoints(a.member, b.member);
}
