import { compareCodePoints } from '@streamloop/core/code-point-order';
import type { RankedMember } from './feature-store.js';

/** Highest score first, ties by member ascending (code point order, as Redis). */
export function compareRanked(a: RankedMember, b: RankedMember): number {
  if (a.score !== b.score) return b.score > a.score ? 1 : -1;
  return compareCodePoints(a.member, b.member);
}
