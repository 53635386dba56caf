/**
 * Where recommendations come from, before the catalog and the playback model have a say (pure):
 *
 * - co-watch: the neighbours (title feature `coWatch`, cosine of viewer sets) of the seeds — the
 *   video on screen first, then the viewer's recent titles, most recent first. Item-based top-N
 *   (Sarwar et al. 2001; Deshpande & Karypis 2004): a neighbour's score is the sum of its cosine
 *   similarities to every seed, a seed that does not list it adding 0, so a title co-watched with
 *   several of the viewer's titles rises above one close to a single seed. The score reported is that
 *   sum's MEAN over the seeds (÷ the number of seeds: the same order within one answer, and 0..1 as
 *   the contract wants). `because` names the seed with the highest single similarity (the earlier
 *   seed on a tie).
 * - popular: the fleet row's `popular` list (decayed popularity), for a cold viewer and to fill up.
 *   Its scores are scaled under every co-watch score of the answer: popular × ceiling / top, where
 *   top is the fleet's most popular title's decayed popularity and ceiling half the lowest co-watch
 *   score kept (1 when there is none), so a similar title always outranks a merely popular one at
 *   equal QoE, and the popular ones keep their order and proportions.
 *
 * Seeds themselves (the video on screen, the titles the viewer has just watched) are never candidates.
 */
import { compareCodePoints } from '@streamloop/core/code-point-order';
import type { RecommendationReason } from '@streamloop/core/schemas/recommendations';

/** A title and its score in a feature row (co-watch neighbour, or popular title). */
export interface ScoredTitle {
  videoId: string;
  score: number;
}

/** A seed title and its co-watch neighbours, as its title feature row lists them. */
export interface SeedTitle {
  videoId: string;
  coWatch: readonly ScoredTitle[];
}

export interface Candidate {
  videoId: string;
  score: number;
  reason: RecommendationReason;
  /** The seed of a co-watch candidate; null for popular. */
  because: string | null;
}

/** The share of the lowest co-watch score the most popular title is scaled to. */
export const POPULAR_CEILING_SHARE = 0.5;

/**
 * The seeds' neighbours other than `exclude`, each once: its mean similarity over the seeds (see the
 * top of the file) and the seed it is most similar to; best first, ties by id; at most `max`.
 */
export function coWatchCandidates(
  seeds: readonly SeedTitle[],
  exclude: ReadonlySet<string>,
  max: number,
): Candidate[] {
  // Parallel arrays indexed by a Map, not an object per neighbour: a viewer with twenty recent titles
  // brings hundreds of neighbours, and only `max` of them become candidates (garbage is what makes a
  // request's tail, bench/results/recommendations.json).
  const indexOf = new Map<string, number>();
  const ids: string[] = [];
  const sums: number[] = [];
  const bests: number[] = [];
  const becauses: string[] = [];
  for (const seed of seeds) {
    for (const neighbour of seed.coWatch) {
      if (exclude.has(neighbour.videoId)) continue;
      const known = indexOf.get(neighbour.videoId);
      if (known === undefined) {
        indexOf.set(neighbour.videoId, ids.length);
        ids.push(neighbour.videoId);
        sums.push(neighbour.score);
        bests.push(neighbour.score);
        becauses.push(seed.videoId);
        continue;
      }
      sums[known]! += neighbour.score;
      if (neighbour.score > bests[known]!) {
        bests[known] = neighbour.score;
        becauses[known] = seed.videoId;
      }
    }
  }
  const order = Array.from({ length: ids.length }, (_, i) => i).sort(
    (i, j) => sums[j]! - sums[i]! || compareCodePoints(ids[i]!, ids[j]!),
  );
  return order.slice(0, max).map(
    (i): Candidate => ({
      videoId: ids[i]!,
      score: sums[i]! / seeds.length,
      reason: 'co-watch',
      because: becauses[i]!,
    }),
  );
}

/** The popular titles other than `exclude`, in the list's order, at most `max`. */
export function popularTitles(
  popular: readonly ScoredTitle[],
  exclude: ReadonlySet<string>,
  max: number,
): ScoredTitle[] {
  const kept: ScoredTitle[] = [];
  for (const title of popular) {
    if (kept.length >= max) break;
    if (!exclude.has(title.videoId)) kept.push(title);
  }
  return kept;
}

/**
 * Popular titles as candidates, scaled below `coWatch` (see the top of the file). `topScore`: the
 * decayed popularity of the fleet's most popular title, whether or not it is among `popular`.
 */
export function popularCandidates(
  popular: readonly ScoredTitle[],
  topScore: number,
  coWatch: readonly Candidate[],
): Candidate[] {
  const lowestCoWatch = coWatch.reduce(
    (low, candidate) => Math.min(low, candidate.score),
    Number.POSITIVE_INFINITY,
  );
  const ceiling = coWatch.length === 0 ? 1 : POPULAR_CEILING_SHARE * lowestCoWatch;
  return popular.map((title) => ({
    videoId: title.videoId,
    score: topScore > 0 ? (ceiling * title.score) / topScore : 0,
    reason: 'popular',
    because: null,
  }));
}
