/**
 * Offline evaluation of recommendations on a simulated audience (issue 14): does co-watch find what a
 * viewer watches next better than decayed popularity alone?
 *
 * 1. An audience with planted taste clusters (simulated-audience-views.ts) watches; each viewer's
 *    LAST view by time is held out (leave-last-out; a viewer with one view is not evaluated).
 * 2. The training views are stored as beacons in a database of the run's own, and the title and
 *    viewer features are computed from them by the production SQL (feature-queries.ts) as of a minute
 *    after the newest one, scope 'synthetic': the audience is simulated and stays marked so.
 * 3. Every evaluated viewer gets the FULL catalogue ranked (every title not watched in training) twice,
 *    by the production candidate and ranking code (QoE step off), with the pools unbounded:
 *    - co-watch: seeded by the viewer's second-to-last view (the video on screen when the held-out
 *      one was picked) and their recent titles; co-watch neighbours in the ranking's order, then every
 *      other title by decayed popularity, as the route fills up;
 *    - popularity: no seeds, so decayed popularity alone (the route's cold-viewer answer).
 *    And two oracles, which know what no recommender can: the taste cluster the simulator planted in
 *    the viewer (simulated-audience-views.ts, `plannedTasteCluster`):
 *    - oracle (cluster first): the viewer's cluster's unseen titles by the training data's decayed
 *      popularity, then every other title by it;
 *    - Bayes oracle: every unseen title by the chance the simulator plays it for a viewer of that
 *      cluster (`plannedTitleChances`). Sessions are independent given the cluster, so no ranking
 *      beats it in expectation: it is the ceiling. The cluster-first oracle is not: at Zipf ≥ 1 the
 *      global head outranks a cluster's tail, which cluster-first puts above it.
 * 4. HR@10 (the held-out title in the top 10), NDCG@10 (1 / log2(rank + 1) when in the top 10) and
 *    catalogue coverage (distinct titles in any top 10 / catalogue titles) for each, and the share
 *    of each oracle's HR@10 lead over popularity that co-watch achieves.
 *
 * A viewer whose held-out title was already watched in training is not evaluated either: no ranking
 * may name a watched title, so neither method could find it; how many there were is reported.
 * Everything is seeded: the same parameters give the same numbers.
 */
import { runMigrations } from '@streamloop/analytics-store/migrate';
import { compareCodePoints } from '@streamloop/core/code-point-order';
import { FLEET_ENTITY, type TitleFeatures } from '@streamloop/core/features';
import type { RecommendedTitle } from '@streamloop/core/schemas/recommendations';
import { hashSeed } from '@streamloop/playback-model/random';
import type { BeaconsTarget } from '../beacons-table.js';
import { queryTitleFeatures, queryViewerFeatures } from '../features/feature-queries.js';
import { MIGRATIONS_DIR } from '../migrations-dir.js';
import {
  coWatchCandidates,
  popularCandidates,
  popularTitles,
  type ScoredTitle,
  type SeedTitle,
} from './recommendation-candidates.js';
import { NO_PREDICTION, rankRecommendations } from './recommendation-ranking.js';
import {
  insertSimulatedViews,
  plannedTasteCluster,
  plannedTitleChances,
  type SimulatedAudienceParameters,
  type SimulatedView,
  simulatedViews,
  tasteClusterTitles,
  titleIdOf,
} from './simulated-audience-views.js';

/** The cut-off of HR, NDCG and coverage: a page of ten titles. */
export const TOP_K = 10;
const MINUTE_MS = 60_000;
/** Below this HR@10 ratio over popularity an oracle has no lead worth sharing out (the share is null). */
const MIN_LEAD_RATIO = 1.1;
// ----------------------------------------------------------------------------------------------
// Leave-last-out
// ----------------------------------------------------------------------------------------------

export interface HeldOutView {
  viewerId: string;
  /** The title of the viewer's last view: what a ranking should find. */
  videoId: string;
  /** The title of the view before it: the video on screen when the viewer picked the held-out one. */
  currentVideoId: string;
  /** Every title of the viewer's training views. */
  watched: ReadonlySet<string>;
}

export interface LeaveLastOutSplit {
  /** Every view but the held-out ones. */
  training: SimulatedView[];
  /** The viewers evaluated, in viewer order. */
  heldOut: HeldOutView[];
  /** Viewers with a single view (all training, none evaluated). */
  oneView: number;
  /** Viewers whose last view was of a title they had watched before (held out, not evaluated). */
  heldOutAlreadyWatched: number;
}

/** Each viewer's last view by start time (equal times: the later view id) held out. */
export function leaveLastOut(views: readonly SimulatedView[]): LeaveLastOutSplit {
  const byViewer = new Map<string, SimulatedView[]>();
  for (const view of views) {
    const own = byViewer.get(view.viewerId);
    if (own === undefined) byViewer.set(view.viewerId, [view]);
    else own.push(view);
  }
  const split: LeaveLastOutSplit = { training: [], heldOut: [], oneView: 0, heldOutAlreadyWatched: 0 };
  for (const viewerId of [...byViewer.keys()].sort(compareCodePoints)) {
    const own = [...(byViewer.get(viewerId) ?? [])].sort(
      (a, b) => a.startedMs - b.startedMs || compareCodePoints(a.viewId, b.viewId),
    );
    const last = own.at(-1);
    const before = own.at(-2);
    if (last === undefined || before === undefined) {
      split.oneView++;
      split.training.push(...own);
      continue;
    }
    const training = own.slice(0, -1);
    split.training.push(...training);
    const watched = new Set(training.map((view) => view.videoId));
    if (watched.has(last.videoId)) {
      split.heldOutAlreadyWatched++;
      continue;
    }
    split.heldOut.push({ viewerId, videoId: last.videoId, currentVideoId: before.videoId, watched });
  }
  return split;
}

// ----------------------------------------------------------------------------------------------
// Full-catalogue rankings with the production candidates and order
// ----------------------------------------------------------------------------------------------

/**
 * Every title not in `excluded`, best first: the seeds' co-watch neighbours, then the rest by
 * decayed popularity (`popularity`: every catalogue title, most popular first), through the route's
 * candidate and ranking functions with no pool limit. No seeds: decayed popularity alone.
 */
export function rankCatalogue(
  seeds: readonly SeedTitle[],
  excluded: ReadonlySet<string>,
  popularity: readonly ScoredTitle[],
  topPopularScore: number,
): string[] {
  const everything = popularity.length;
  const coWatch = coWatchCandidates(seeds, excluded, everything);
  const taken = new Set([...excluded, ...coWatch.map((candidate) => candidate.videoId)]);
  const popular = popularCandidates(popularTitles(popularity, taken, everything), topPopularScore, coWatch);
  const items = [...coWatch, ...popular].map(
    (candidate): RecommendedTitle => ({ ...candidate, title: candidate.videoId, predicted: NO_PREDICTION }),
  );
  return rankRecommendations(items, { qoeAware: false, limit: items.length }).map((title) => title.videoId);
}

/**
 * Every catalogue title by decayed popularity: the fleet row's `popular` list (what the route fills
 * up with), then the titles beyond it by their own row's decayed popularity (the same sum), then the
 * titles nobody watched, by id.
 */
export function popularityOrder(
  titleRows: ReadonlyMap<string, TitleFeatures>,
  catalogue: readonly string[],
): ScoredTitle[] {
  const popular = titleRows.get(FLEET_ENTITY)?.popular ?? [];
  const listed = new Set(popular.map((title) => title.videoId));
  const rest = catalogue
    .filter((videoId) => !listed.has(videoId))
    .map((videoId) => ({ videoId, score: titleRows.get(videoId)?.popularity.decayed ?? 0 }))
    .sort((a, b) => b.score - a.score || compareCodePoints(a.videoId, b.videoId));
  return [...popular, ...rest];
}

/**
 * The oracle's ranking: the unseen titles of the viewer's planted cluster (`clusterTitles`) in
 * `popularity`'s order, then every other unseen title in it.
 */
export function rankClusterFirst(
  clusterTitles: ReadonlySet<string>,
  excluded: ReadonlySet<string>,
  popularity: readonly ScoredTitle[],
): string[] {
  const unseen = popularity.map((title) => title.videoId).filter((videoId) => !excluded.has(videoId));
  return [
    ...unseen.filter((videoId) => clusterTitles.has(videoId)),
    ...unseen.filter((videoId) => !clusterTitles.has(videoId)),
  ];
}

/**
 * The Bayes oracle's order of the catalogue for one cluster: by the simulator's chance of each
 * title (`chances`, catalogue order), equal chances in `popularity`'s order.
 */
export function chanceOrder(
  chances: readonly number[],
  catalogue: readonly string[],
  popularity: readonly ScoredTitle[],
): string[] {
  const chanceOf = new Map(catalogue.map((videoId, rank) => [videoId, chances[rank] ?? 0]));
  return popularity
    .map((title) => title.videoId)
    .sort((a, b) => (chanceOf.get(b) ?? 0) - (chanceOf.get(a) ?? 0));
}

// ----------------------------------------------------------------------------------------------
// Metrics
// ----------------------------------------------------------------------------------------------

export interface RankingScores {
  /** Share of evaluated viewers whose held-out title is in the top TOP_K. */
  hitRateAt10: number;
  /** Mean of 1 / log2(rank + 1) for a held-out title at rank ≤ TOP_K (1-based), 0 beyond. */
  ndcgAt10: number;
  /** Distinct titles in any viewer's top TOP_K / catalogue titles. */
  coverageAt10: number;
}

export interface ScoredRanking {
  /** Best first. */
  ranking: readonly string[];
  heldOutVideoId: string;
}

export function scoreRankings(rankings: readonly ScoredRanking[], catalogueTitles: number): RankingScores {
  let hits = 0;
  let gain = 0;
  const shown = new Set<string>();
  for (const { ranking, heldOutVideoId } of rankings) {
    const top = ranking.slice(0, TOP_K);
    for (const videoId of top) shown.add(videoId);
    const rank = top.indexOf(heldOutVideoId) + 1;
    if (rank === 0) continue;
    hits++;
    gain += 1 / Math.log2(rank + 1);
  }
  const viewers = Math.max(rankings.length, 1);
  return {
    hitRateAt10: hits / viewers,
    ndcgAt10: gain / viewers,
    coverageAt10: shown.size / catalogueTitles,
  };
}

// ----------------------------------------------------------------------------------------------
// The run
// ----------------------------------------------------------------------------------------------

export interface OfflineEvaluation {
  /** Always: a simulated audience, never real viewers. */
  synthetic: true;
  parameters: SimulatedAudienceParameters;
  catalogueTitles: number;
  viewers: { simulated: number; evaluated: number; oneView: number; heldOutAlreadyWatched: number };
  views: { training: number; heldOut: number };
  /** The features' `nowMs`: a minute after the newest training view. */
  featuresAsOf: string;
  coWatch: RankingScores;
  popularity: RankingScores;
  /** Knows the viewer's planted cluster: its unseen titles by decayed popularity first, then the rest. */
  oracle: RankingScores;
  /** Knows the viewer's planted cluster and the simulator's chances: the ceiling in expectation. */
  bayesOracle: RankingScores;
  /** What a uniformly random order would score: the mean over evaluated viewers of 10 / titles left to rank. */
  randomHitRateAt10: number;
  /** coWatch.hitRateAt10 / popularity.hitRateAt10. */
  hitRateRatio: number;
  /** oracle.hitRateAt10 / popularity.hitRateAt10. */
  oracleHitRateRatio: number;
  /** bayesOracle.hitRateAt10 / popularity.hitRateAt10: the most any ranking can expect to reach. */
  bayesOracleHitRateRatio: number;
  /**
   * (coWatch − popularity) / (oracle − popularity), of HR@10: the share of the oracle's lead co-watch
   * gets; null when the oracle is not even 1.1× popularity (no lead worth sharing: the control,
   * where a lead of a few hits would make the share a huge number that means nothing).
   */
  coWatchShareOfOracleLead: number | null;
  /** The same of the Bayes oracle's lead: the share of the reachable lead co-watch gets. */
  coWatchShareOfBayesLead: number | null;
}

/**
 * The evaluation above, its views stored in `database` (created and migrated on `engine`'s client
 * if need be; empty, or holding this same run: the run's views are stored once).
 */
export async function runOfflineEvaluation(
  engine: BeaconsTarget,
  database: string,
  parameters: SimulatedAudienceParameters,
): Promise<OfflineEvaluation> {
  const target = await migratedDatabase(engine, database);
  const views = simulatedViews(parameters);
  const split = leaveLastOut(views);
  const runKey = `offline-evaluation-${hashSeed(JSON.stringify(parameters)).toString(16)}`;
  await insertSimulatedViews(target, split.training, runKey);

  const nowMs = split.training.reduce((newest, view) => Math.max(newest, view.startedMs), 0) + MINUTE_MS;
  const featureOptions = { nowMs, scope: 'synthetic' } as const;
  const [titleSet, viewerSet] = await Promise.all([
    queryTitleFeatures(target, featureOptions),
    queryViewerFeatures(target, featureOptions),
  ]);
  const titleRows = new Map(titleSet.rows.map((row) => [row.videoId, row]));
  const recentTitles = new Map(viewerSet.rows.map((row) => [row.viewerId, row.recentVideoIds]));

  const catalogue = Array.from({ length: parameters.titles }, (_, rank) => titleIdOf(rank));
  const popularity = popularityOrder(titleRows, catalogue);
  const topPopularScore = titleRows.get(FLEET_ENTITY)?.popular?.[0]?.score ?? 0;
  const clusterTitles = tasteClusterTitles(parameters).map((titles) => new Set(titles));
  const chanceOrders = clusterTitles.map((_, cluster) =>
    chanceOrder(plannedTitleChances(parameters, cluster), catalogue, popularity),
  );
  const coWatch: ScoredRanking[] = [];
  const popular: ScoredRanking[] = [];
  const oracle: ScoredRanking[] = [];
  const bayesOracle: ScoredRanking[] = [];
  let randomHits = 0;
  for (const viewer of split.heldOut) {
    // The route's seeds: the video on screen, then the viewer's recent titles, each once.
    const seedIds = [...new Set([viewer.currentVideoId, ...(recentTitles.get(viewer.viewerId) ?? [])])];
    const seeds = seedIds.map((videoId) => ({ videoId, coWatch: titleRows.get(videoId)?.coWatch ?? [] }));
    const excluded = new Set([...viewer.watched, ...seedIds]);
    const heldOutVideoId = viewer.videoId;
    coWatch.push({ ranking: rankCatalogue(seeds, excluded, popularity, topPopularScore), heldOutVideoId });
    popular.push({ ranking: rankCatalogue([], excluded, popularity, topPopularScore), heldOutVideoId });
    const cluster = plannedTasteCluster(parameters, viewer.viewerId);
    oracle.push({
      ranking: rankClusterFirst(clusterTitles[cluster] ?? new Set(), excluded, popularity),
      heldOutVideoId,
    });
    bayesOracle.push({
      ranking: (chanceOrders[cluster] ?? []).filter((videoId) => !excluded.has(videoId)),
      heldOutVideoId,
    });
    const left = catalogue.length - excluded.size;
    randomHits += Math.min(TOP_K, left) / left;
  }
  const coWatchScores = scoreRankings(coWatch, catalogue.length);
  const popularityScores = scoreRankings(popular, catalogue.length);
  const oracleScores = scoreRankings(oracle, catalogue.length);
  const bayesOracleScores = scoreRankings(bayesOracle, catalogue.length);
  const shareOfLead = (ceiling: RankingScores): number | null =>
    ceiling.hitRateAt10 < MIN_LEAD_RATIO * popularityScores.hitRateAt10
      ? null
      : (coWatchScores.hitRateAt10 - popularityScores.hitRateAt10) /
        (ceiling.hitRateAt10 - popularityScores.hitRateAt10);
  return {
    synthetic: true,
    parameters,
    catalogueTitles: catalogue.length,
    viewers: {
      simulated: parameters.viewers,
      evaluated: split.heldOut.length,
      oneView: split.oneView,
      heldOutAlreadyWatched: split.heldOutAlreadyWatched,
    },
    views: { training: split.training.length, heldOut: views.length - split.training.length },
    featuresAsOf: new Date(nowMs).toISOString(),
    coWatch: coWatchScores,
    popularity: popularityScores,
    oracle: oracleScores,
    bayesOracle: bayesOracleScores,
    randomHitRateAt10: randomHits / Math.max(split.heldOut.length, 1),
    hitRateRatio: coWatchScores.hitRateAt10 / popularityScores.hitRateAt10,
    oracleHitRateRatio: oracleScores.hitRateAt10 / popularityScores.hitRateAt10,
    bayesOracleHitRateRatio: bayesOracleScores.hitRateAt10 / popularityScores.hitRateAt10,
    coWatchShareOfOracleLead: shareOfLead(oracleScores),
    coWatchShareOfBayesLead: shareOfLead(bayesOracleScores),
  };
}

/** `database` on `engine`'s client with analytics' migrations applied: each run reads only its own views. */
async function migratedDatabase(engine: BeaconsTarget, database: string): Promise<BeaconsTarget> {
  await runMigrations(engine.client, database, MIGRATIONS_DIR, async () => {
    await engine.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  });
  return { client: engine.client, database, insertNative: engine.insertNative };
}
