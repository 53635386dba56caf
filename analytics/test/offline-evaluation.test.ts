/**
 * The offline evaluation of recommendations (src/recommendations/offline-evaluation.ts) on real chdb:
 * a simulated audience with planted taste clusters, leave-last-out, the production feature SQL and
 * ranking code. Co-watch must keep most of the lead over decayed popularity that a ranking knowing
 * each viewer's planted cluster gets (the oracles); with no taste planted (the control: the same
 * viewers, sessions and times, affinity 0) that advantage must collapse, so the test measures the
 * planted structure, not an artifact of the method. The target (co-watch HR@10 ≥ 2×
 * popularity's) is NOT met at this audience (1.74×); the bounds below say what is. Numbers are of a
 * SIMULATED audience.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  leaveLastOut,
  type OfflineEvaluation,
  runOfflineEvaluation,
  scoreRankings,
} from '../src/recommendations/offline-evaluation.js';
import {
  plannedTasteCluster,
  plannedTitleChances,
  type SimulatedAudienceParameters,
  type SimulatedView,
  simulatedViews,
  titleIdOf,
} from '../src/recommendations/simulated-audience-views.js';
import { openChdbSession } from './chdb-session.js';

const PLANTED: SimulatedAudienceParameters = {
  seed: 'offline-evaluation-test',
  titles: 120,
  clusters: 6,
  affinity: 0.8,
  viewers: 1_200,
  sessionsPerViewer: { min: 3, max: 8 },
  zipfExponent: 1,
  days: 6,
};
const CONTROL: SimulatedAudienceParameters = { ...PLANTED, affinity: 0 };

describe('leave-last-out and the metrics (pure)', () => {
  const view = (viewerId: string, videoId: string, startedMs: number): SimulatedView => ({
    viewerId,
    videoId,
    startedMs,
    viewId: `${viewerId}.${startedMs}.v`,
  });

  it("holds out each viewer's latest view, not the last planned one", () => {
    const split = leaveLastOut([
      view('a', 't3', 300),
      view('a', 't1', 100),
      view('a', 't2', 200),
      view('b', 't1', 50),
      view('c', 't4', 10),
      view('c', 't4', 20),
    ]);
    // a: t3 at 300 is the latest; t2 (200) was on screen before it. b: one view. c: t4 again.
    expect(split.heldOut).toEqual([
      { viewerId: 'a', videoId: 't3', currentVideoId: 't2', watched: new Set(['t1', 't2']) },
    ]);
    expect(split.oneView).toBe(1);
    expect(split.heldOutAlreadyWatched).toBe(1);
    expect(split.training.map((v) => `${v.viewerId}:${v.videoId}`)).toEqual(['a:t1', 'a:t2', 'b:t1', 'c:t4']);
  });

  it('scores HR@10, NDCG@10 and coverage by hand', () => {
    const titles = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const scores = scoreRankings(
      [
        { ranking: titles, heldOutVideoId: 't0' }, // rank 1: gain 1
        { ranking: titles, heldOutVideoId: 't2' }, // rank 3: gain 1/2
        { ranking: [...titles].reverse(), heldOutVideoId: 't0' }, // rank 20: a miss
        { ranking: titles, heldOutVideoId: 't10' }, // rank 11: a miss
      ],
      40,
    );
    // Top tens: t0..t9 and t19..t10 — 20 distinct titles of 40.
    expect(scores).toEqual({ hitRateAt10: 0.5, ndcgAt10: 1.5 / 4, coverageAt10: 0.5 });
  });

  it('draws the same audience from the same seed, another from another', () => {
    const small = { ...PLANTED, viewers: 50 };
    expect(simulatedViews(small)).toEqual(simulatedViews(small));
    expect(simulatedViews({ ...small, seed: 'another' })).not.toEqual(simulatedViews(small));
  });

  it("knows each viewer's planted cluster and the simulator's chances, as the oracles need", () => {
    // Affinity 1: every view is of a title of the viewer's cluster (titles dealt round-robin by rank).
    const loyal = { ...PLANTED, affinity: 1, viewers: 300 };
    const outside = simulatedViews(loyal).filter(
      (view) =>
        Number(view.videoId.slice('title-'.length)) % loyal.clusters !==
        plannedTasteCluster(loyal, view.viewerId),
    );
    expect(outside).toEqual([]);
    // Affinity 0.8: the titles of cluster 0's viewers come with the chances the Bayes oracle ranks by.
    const chances = plannedTitleChances(PLANTED, 0);
    expect(chances.reduce((sum, chance) => sum + chance, 0)).toBeCloseTo(1, 9);
    const many = { ...PLANTED, viewers: 6_000 };
    const seen = simulatedViews(many).filter((view) => plannedTasteCluster(many, view.viewerId) === 0);
    const counts = new Map<string, number>();
    for (const view of seen) counts.set(view.videoId, (counts.get(view.videoId) ?? 0) + 1);
    const totalVariation =
      chances.reduce(
        (sum, chance, rank) => sum + Math.abs(chance - (counts.get(titleIdOf(rank)) ?? 0) / seen.length),
        0,
      ) / 2;
    expect(seen.length).toBeGreaterThan(4_000);
    expect(totalVariation).toBeLessThan(0.06);
  });
});

const chdb = await openChdbSession();

describe('co-watch vs decayed popularity on a simulated audience (chdb)', () => {
  let planted: OfflineEvaluation;
  let control: OfflineEvaluation;
  beforeAll(async () => {
    planted = await runOfflineEvaluation(chdb.store, `${chdb.store.database}_planted`, PLANTED);
    control = await runOfflineEvaluation(chdb.store, `${chdb.store.database}_control`, CONTROL);
  });
  afterAll(() => chdb.close());

  it('evaluates most viewers, and says the numbers are synthetic', () => {
    expect(planted.synthetic).toBe(true);
    // At least 3 sessions each: every viewer has a held-out view; some repeat a title already watched.
    expect(planted.viewers.oneView).toBe(0);
    expect(planted.viewers.evaluated + planted.viewers.heldOutAlreadyWatched).toBe(PLANTED.viewers);
    expect(planted.viewers.evaluated).toBeGreaterThan(PLANTED.viewers / 3);
    expect(planted.views.heldOut).toBe(PLANTED.viewers);
  });

  it('finds the held-out title with co-watch 1.6× as often as with decayed popularity, and most of the reachable lead', () => {
    // Measured (seed 'offline-evaluation-test', 751 viewers evaluated; co-watch summing the
    // similarities to every seed): co-watch HR@10 0.599 vs popularity 0.345 — 1.74× (keeping each
    // neighbour's best single similarity instead gave 0.566, 1.64×). The 2× target is NOT
    // met at this audience (Zipf 1.0, affinity 0.8), and barely reachable at all: the cluster-first
    // oracle gets 0.636 (1.85×), the Bayes oracle (the ceiling) 0.694 (2.01×). Co-watch gets 87 % of
    // the cluster-first oracle's lead and 73 % of the Bayes oracle's. The bounds sit about two
    // standard errors below (HR@10 ±0.018 at 751 viewers: ±0.05 on the ratio, ±0.05–0.06 on the
    // shares), so a harmless change does not break them. At 751 viewers they do not tell the two
    // aggregations apart (the best single similarity's 1.64×, 76 % and 63 % sit just on them): the
    // bench's larger audiences measure that difference (docs/recommendations.md).
    expect(planted.coWatch.hitRateAt10).toBeGreaterThanOrEqual(1.6 * planted.popularity.hitRateAt10);
    expect(planted.coWatchShareOfOracleLead).toBeGreaterThanOrEqual(0.75);
    expect(planted.coWatchShareOfBayesLead).toBeGreaterThanOrEqual(0.62);
    expect(planted.coWatch.ndcgAt10).toBeGreaterThan(planted.popularity.ndcgAt10);
  });

  it('ranks no better than the oracles that know each viewer’s planted cluster (sanity)', () => {
    expect(planted.oracle.hitRateAt10).toBeGreaterThanOrEqual(planted.coWatch.hitRateAt10);
    expect(planted.bayesOracle.hitRateAt10).toBeGreaterThanOrEqual(planted.oracle.hitRateAt10);
  });

  it('ranks by popularity better than a random order would', () => {
    // A random order of the at most 120 titles left hits with chance ≤ 10 / (120 − 7 watched).
    expect(planted.popularity.hitRateAt10).toBeGreaterThan(10 / (PLANTED.titles - 7));
  });

  it('shows more of the catalogue with co-watch than the one top ten of popularity', () => {
    expect(planted.coWatch.coverageAt10).toBeGreaterThan(planted.popularity.coverageAt10);
  });

  it("loses co-watch's advantage when no taste is planted (the control)", () => {
    expect(control.coWatch.hitRateAt10).toBeLessThan(2 * control.popularity.hitRateAt10);
    // Nothing planted, nothing to find: even the Bayes oracle is popularity (measured 0.99×).
    expect(control.bayesOracle.hitRateAt10).toBeLessThan(1.1 * control.popularity.hitRateAt10);
  });
});
