/**
 * The pure halves of recommendations: where candidates come from (recommendation-candidates.ts) and
 * their order (recommendation-ranking.ts), table-driven. Every expected order and score is worked
 * out by hand in the case's comment.
 */
import type { PredictedPlayback, RecommendedTitle } from '@streamloop/core/schemas/recommendations';
import { describe, expect, it } from 'vitest';
import {
  coWatchCandidates,
  popularCandidates,
  popularTitles,
} from '../src/recommendations/recommendation-candidates.js';
import { rankCandidates, rankRecommendations } from '../src/recommendations/recommendation-ranking.js';
import { scored } from './recommendations-fixtures.js';

/** A title with a score and what the model said (`fits`, `stallRisk`); the rest does not take part. */
function item(
  videoId: string,
  score: number,
  predicted: Partial<PredictedPlayback> = {},
  reason: RecommendedTitle['reason'] = 'co-watch',
): RecommendedTitle {
  return {
    videoId,
    title: videoId,
    score,
    reason,
    because: reason === 'co-watch' ? 'seed' : null,
    predicted: { startupMs: null, stallRisk: null, lowestRungKbps: null, fits: null, ...predicted },
  };
}

describe('rankCandidates', () => {
  it('builds and predicts only the titles that can reach the answer, ties at the cut included', () => {
    // By (fits first, score): a .9, b .5, c .5, d .5 (tied at the cut of 2), e .2, f .8 does not fit.
    // The model breaks the .5 tie: d (risk .01) before b (.05) and c (.2). So the answer is a, d.
    const risk: Record<string, number> = { a: 0.1, b: 0.05, c: 0.2, d: 0.01, e: 0, f: 0 };
    const titles = [
      item('e', 0.2, { fits: true }),
      item('b', 0.5, { fits: true }),
      item('f', 0.8, { fits: false }),
      item('a', 0.9, { fits: true }),
      item('c', 0.5, { fits: null }),
      item('d', 0.5, { fits: true }),
    ];
    const asked: string[] = [];
    const answer = rankCandidates(titles, {
      qoeAware: true,
      limit: 2,
      fitsOf: (title) => title.predicted.fits,
      build: (title) => {
        asked.push(title.videoId);
        return { ...title, predicted: { ...title.predicted, stallRisk: risk[title.videoId]! } };
      },
    });
    expect(answer.map((title) => title.videoId)).toEqual(['a', 'd']);
    expect(answer.map((title) => title.predicted.stallRisk)).toEqual([0.1, 0.01]);
    expect(asked.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('without the QoE step builds the best by score, ties at the cut included, ordered by id', () => {
    // By score: p .7, then q, r, s tied at .4 across the cut of 3, then t .1. The tie is broken by id,
    // so the answer is p, q, r; s is built (tied at the cut) but not kept; t is never built.
    const titles = [item('t', 0.1), item('s', 0.4), item('p', 0.7), item('r', 0.4), item('q', 0.4)];
    const built: string[] = [];
    const answer = rankCandidates(titles, {
      qoeAware: false,
      limit: 3,
      build: (title) => {
        built.push(title.videoId);
        return title;
      },
    });
    expect(answer.map((title) => title.videoId)).toEqual(['p', 'q', 'r']);
    expect(built.sort()).toEqual(['p', 'q', 'r', 's']);
  });

  it('answers nothing for no candidates, and everything when the limit is above their number', () => {
    const build = (title: RecommendedTitle) => title;
    expect(rankCandidates([], { qoeAware: true, limit: 10, build })).toEqual([]);
    // Both fit-unknown: b .3 before a .2.
    const answer = rankCandidates([item('a', 0.2), item('b', 0.3)], { qoeAware: true, limit: 10, build });
    expect(answer.map((title) => title.videoId)).toEqual(['b', 'a']);
  });
});

describe('rankRecommendations', () => {
  const fits = (stallRisk: number | null = 0) => ({ fits: true, stallRisk });
  const tooHeavy = (stallRisk: number | null = 0.3) => ({ fits: false, stallRisk });

  it.each<[string, RecommendedTitle[], { qoeAware: boolean; limit: number }, string[]]>([
    [
      // .5 first; the two .3 by id.
      'similarity alone: score, then id',
      [item('b', 0.3), item('a', 0.5), item('a2', 0.3)],
      { qoeAware: false, limit: 10 },
      ['a', 'a2', 'b'],
    ],
    [
      // Without the QoE step fits is not read: x (.6) stays first.
      'similarity alone ignores fits',
      [item('y', 0.4, fits()), item('x', 0.6, tooHeavy())],
      { qoeAware: false, limit: 10 },
      ['x', 'y'],
    ],
    [
      // x does not fit: below y (.4) and below the popular z (.1) that fits.
      'a title that does not fit goes below every title that fits, popular ones included',
      [item('x', 0.6, tooHeavy()), item('y', 0.4, fits()), item('z', 0.1, fits(), 'popular')],
      { qoeAware: true, limit: 10 },
      ['y', 'z', 'x'],
    ],
    [
      // Both x (.6) and w (.5) do not fit: after y, in their own similarity order.
      'similarity order is kept within each group',
      [item('w', 0.5, tooHeavy()), item('y', 0.4, fits()), item('x', 0.6, tooHeavy())],
      { qoeAware: true, limit: 10 },
      ['y', 'x', 'w'],
    ],
    [
      // n's fit is unknown (null): it counts as fitting, so its .5 leads f (.4, does not fit).
      'an unknown fit counts as fitting',
      [item('f', 0.4, tooHeavy()), item('n', 0.5)],
      { qoeAware: true, limit: 10 },
      ['n', 'f'],
    ],
    [
      // All .5 and fitting: by id a, b, c; by risk b (.05), a (.2), then c (unknown, last).
      'stall risk breaks ties between equally similar titles, unknown risk last',
      [item('c', 0.5, fits(null)), item('a', 0.5, fits(0.2)), item('b', 0.5, fits(0.05))],
      { qoeAware: true, limit: 10 },
      ['b', 'a', 'c'],
    ],
    [
      // a (.5, risk .3) stays ahead of b (.4, risk 0): risk is a tie-breaker, not a penalty.
      'stall risk does not reorder different similarities',
      [item('b', 0.4, fits(0)), item('a', 0.5, fits(0.3))],
      { qoeAware: true, limit: 10 },
      ['a', 'b'],
    ],
    [
      // Ranked y, z, x as above, then cut to 2.
      'cuts to the limit after ranking',
      [item('x', 0.6, tooHeavy()), item('y', 0.4, fits()), item('z', 0.1, fits(), 'popular')],
      { qoeAware: true, limit: 2 },
      ['y', 'z'],
    ],
  ])('%s', (_name, titles, options, expected) => {
    const before = titles.map((title) => title.videoId);
    expect(rankRecommendations(titles, options).map((title) => title.videoId)).toEqual(expected);
    // The input is left as it was.
    expect(titles.map((title) => title.videoId)).toEqual(before);
  });
});

describe('coWatchCandidates', () => {
  it.each<[string, Parameters<typeof coWatchCandidates>, [string, number, string | null][]]>([
    [
      // The mean of each neighbour's similarity to the two seeds (a seed not listing it adds 0):
      // b (.25 from s1 + .625 from s2) / 2 = .4375, because s2 (its best, .625); a (.75 + 0) / 2 =
      // .375, because s1; c (0 + .25) / 2 = .125, because s2. b, near both seeds, outranks a, the
      // nearest to one. s2 is a seed itself, so s1's neighbour s2 is not a candidate.
      'a neighbour of several seeds adds up its similarities, and names the seed it is nearest; seeds are excluded',
      [
        [
          { videoId: 's1', coWatch: scored(['a', 0.75], ['s2', 0.5], ['b', 0.25]) },
          { videoId: 's2', coWatch: scored(['b', 0.625], ['c', 0.25]) },
        ],
        new Set(['s1', 's2']),
        10,
      ],
      [
        ['b', 0.4375, 's2'],
        ['a', 0.375, 's1'],
        ['c', 0.125, 's2'],
      ],
    ],
    [
      // d is .5 from both: (.5 + .5) / 2 = .5, and the earlier seed (the video on screen comes
      // first) names it.
      'an equal score from a later seed keeps the earlier seed',
      [
        [
          { videoId: 's1', coWatch: scored(['d', 0.5]) },
          { videoId: 's2', coWatch: scored(['d', 0.5]) },
        ],
        new Set(['s1', 's2']),
        10,
      ],
      [['d', 0.5, 's1']],
    ],
    [
      // s2 has no neighbours (no feature row) but is a seed all the same: x (.5 + 0) / 2 = .25.
      'a seed with no neighbours still counts in the mean',
      [
        [
          { videoId: 's1', coWatch: scored(['x', 0.5]) },
          { videoId: 's2', coWatch: [] },
        ],
        new Set(['s1', 's2']),
        10,
      ],
      [['x', 0.25, 's1']],
    ],
    [
      // One seed: each score is its own similarity. .4 first, then the two .2 by id, cut to 2.
      'best first, ties by id, at most max',
      [[{ videoId: 's', coWatch: scored(['z', 0.2], ['y', 0.4], ['x', 0.2]) }], new Set(['s']), 2],
      [
        ['y', 0.4, 's'],
        ['x', 0.2, 's'],
      ],
    ],
    ['no seeds, no candidates', [[], new Set(), 10], []],
  ])('%s', (_name, args, expected) => {
    const candidates = coWatchCandidates(...args);
    expect(candidates.map((c) => [c.videoId, c.score, c.because])).toEqual(expected);
    expect(candidates.every((c) => c.reason === 'co-watch')).toBe(true);
  });
});

describe('popular candidates', () => {
  const fleetPopular = scored(['p1', 40], ['n2', 30], ['p2', 20], ['p3', 10]);

  it('keeps the list order without the excluded titles, at most max', () => {
    expect(popularTitles(fleetPopular, new Set(['n2']), 2)).toEqual(scored(['p1', 40], ['p2', 20]));
  });

  it.each<[string, Parameters<typeof popularCandidates>, [string, number][]]>([
    [
      // Lowest co-watch .5 → ceiling .25; top 40: p1 .25·40/40, p2 .25·20/40.
      'scaled under half the lowest co-watch score',
      [scored(['p1', 40], ['p2', 20]), 40, [{ videoId: 'c', score: 0.5, reason: 'co-watch', because: 's' }]],
      [
        ['p1', 0.25],
        ['p2', 0.125],
      ],
    ],
    [
      // No co-watch: ceiling 1; the top (p1, 40) was excluded but still scales: n2 30/40, p3 10/40.
      'from 1 down for a cold viewer, scaled by the fleet top even when the top is not among them',
      [scored(['n2', 30], ['p3', 10]), 40, []],
      [
        ['n2', 0.75],
        ['p3', 0.25],
      ],
    ],
    ['nothing popular', [[], 0, []], []],
  ])('%s', (_name, args, expected) => {
    const candidates = popularCandidates(...args);
    expect(candidates.map((c) => [c.videoId, c.score])).toEqual(expected);
    expect(candidates.every((c) => c.reason === 'popular' && c.because === null)).toBe(true);
  });
});
