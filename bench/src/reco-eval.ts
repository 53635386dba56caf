/**
 * Offline evaluation of recommendations on a SIMULATED audience (issue 14): HR@10, NDCG@10 and
 * catalogue coverage of co-watch vs decayed popularity alone, next to two oracles that know each
 * viewer's planted taste cluster (cluster first; Bayes: the simulator's own chances, the ceiling)
 * and the share of each oracle's lead over popularity that co-watch gets; leave-last-out by time, the full
 * catalogue ranked by the production feature SQL (chdb) and candidate and ranking code
 * (analytics/src/recommendations/offline-evaluation.ts says how). Same run:
 *
 * - planted: the audience with its taste clusters — the issue's criterion is co-watch HR@10 ≥ 2× popularity's;
 * - control: the same viewers, sessions and times with no taste planted (affinity 0), to show how
 *   much of co-watch's lead comes from the planted clusters;
 * - sensitivity: the planted audience at other Zipf exponents (how concentrated popularity is), the
 *   parameter the ratio turned out to depend on most, with the oracles' ratios (is 2× reachable at all?).
 *
 * Knobs: BENCH_TITLES (200), BENCH_CLUSTERS (8), BENCH_VIEWERS (3000), BENCH_AFFINITY (0.8),
 * BENCH_ZIPF (1.0), BENCH_SEED. Writes `bench/results/reco-eval.json` and prints a table.
 * Run: `npm run bench:reco-eval -w bench` (build analytics first: `npm run build -w @streamloop/analytics`).
 */
import { writeFile } from 'node:fs/promises';
import {
  type OfflineEvaluation,
  type RankingScores,
  runOfflineEvaluation,
} from '@streamloop/analytics/recommendations/offline-evaluation';
import type { SimulatedAudienceParameters } from '@streamloop/analytics/recommendations/simulated-audience-views';
import { load1, machine } from './machine.js';
import { openBenchStore } from './queries/bench-store.js';

const PLANTED: SimulatedAudienceParameters = {
  seed: process.env.BENCH_SEED ?? 'reco-eval',
  titles: Number(process.env.BENCH_TITLES ?? 200),
  clusters: Number(process.env.BENCH_CLUSTERS ?? 8),
  affinity: Number(process.env.BENCH_AFFINITY ?? 0.8),
  viewers: Number(process.env.BENCH_VIEWERS ?? 3_000),
  sessionsPerViewer: { min: 3, max: 10 },
  zipfExponent: Number(process.env.BENCH_ZIPF ?? 1),
  days: 6,
};
const SENSITIVITY_ZIPF = [0.5, 0.8, 1.2];

const round = (value: number): number => Number(value.toFixed(4));
const summary = (run: OfflineEvaluation) => ({
  viewers: run.viewers,
  views: run.views,
  featuresAsOf: run.featuresAsOf,
  coWatch: roundAll(run.coWatch),
  popularity: roundAll(run.popularity),
  oracle: roundAll(run.oracle),
  bayesOracle: roundAll(run.bayesOracle),
  randomHitRateAt10: round(run.randomHitRateAt10),
  hitRateRatio: round(run.hitRateRatio),
  oracleHitRateRatio: round(run.oracleHitRateRatio),
  bayesOracleHitRateRatio: round(run.bayesOracleHitRateRatio),
  coWatchShareOfOracleLead: roundOrNull(run.coWatchShareOfOracleLead),
  coWatchShareOfBayesLead: roundOrNull(run.coWatchShareOfBayesLead),
});
const roundOrNull = (value: number | null): number | null => (value === null ? null : round(value));
const percent = (share: number | null): string =>
  share === null ? 'n/a (no lead)' : `${Math.round(share * 100)} %`;
const roundAll = (scores: RankingScores): RankingScores => ({
  hitRateAt10: round(scores.hitRateAt10),
  ndcgAt10: round(scores.ndcgAt10),
  coverageAt10: round(scores.coverageAt10),
});

const load1Before = load1();
const started = performance.now();
const { store, close } = await openBenchStore('reco-eval');
try {
  const planted = await runOfflineEvaluation(store, 'reco_eval_planted', PLANTED);
  const control = await runOfflineEvaluation(store, 'reco_eval_control', { ...PLANTED, affinity: 0 });
  const sensitivity: OfflineEvaluation[] = [];
  for (const [i, zipfExponent] of SENSITIVITY_ZIPF.entries()) {
    sensitivity.push(await runOfflineEvaluation(store, `reco_eval_zipf_${i}`, { ...PLANTED, zipfExponent }));
  }

  const result = {
    benchmark: 'reco-eval',
    synthetic: true,
    date: new Date().toISOString(),
    command: 'npm run bench:reco-eval -w bench',
    machine: machine(load1Before),
    seconds: round((performance.now() - started) / 1000),
    method:
      'simulated audience (playback-model planSessions, taste clusters dealt round-robin in popularity order); ' +
      "leave-last-out by time; features by the production SQL (scope 'synthetic') a minute after the newest training view; " +
      'full catalogue (every title not watched in training) ranked by the production candidates and order (qoeAware off): ' +
      'co-watch seeded by the second-to-last view and recent titles, then decayed popularity; vs decayed popularity alone; ' +
      "oracles knowing the viewer's planted cluster: cluster first (its unseen titles by decayed popularity, then the rest) " +
      "and Bayes (unseen titles by the simulator's chance for that cluster: the ceiling in expectation)",
    criterion: {
      hitRateRatioAtLeast: 2,
      met: planted.hitRateRatio >= 2,
      reachableByBayesOracle: planted.bayesOracleHitRateRatio >= 2,
    },
    audience: PLANTED,
    catalogueTitles: planted.catalogueTitles,
    planted: summary(planted),
    control: { affinity: 0, ...summary(control) },
    sensitivity: sensitivity.map((run) => ({
      zipfExponent: run.parameters.zipfExponent,
      coWatchHitRateAt10: round(run.coWatch.hitRateAt10),
      popularityHitRateAt10: round(run.popularity.hitRateAt10),
      oracleHitRateAt10: round(run.oracle.hitRateAt10),
      bayesOracleHitRateAt10: round(run.bayesOracle.hitRateAt10),
      hitRateRatio: round(run.hitRateRatio),
      oracleHitRateRatio: round(run.oracleHitRateRatio),
      bayesOracleHitRateRatio: round(run.bayesOracleHitRateRatio),
      coWatchShareOfOracleLead: roundOrNull(run.coWatchShareOfOracleLead),
      coWatchShareOfBayesLead: roundOrNull(run.coWatchShareOfBayesLead),
    })),
  };

  const row = (name: string, method: string, scores: RankingScores) =>
    `${name.padEnd(30)} ${method.padEnd(13)} ${String(scores.hitRateAt10).padStart(7)} ${String(scores.ndcgAt10).padStart(8)} ${String(scores.coverageAt10).padStart(9)}`;
  console.log(
    `SIMULATED audience: ${PLANTED.viewers} viewers, ${PLANTED.titles} titles, ${PLANTED.clusters} clusters, ` +
      `affinity ${PLANTED.affinity}, Zipf ${PLANTED.zipfExponent}, seed ${PLANTED.seed}`,
  );
  console.log(
    `${'audience'.padEnd(30)} ${'method'.padEnd(13)} ${'HR@10'.padStart(7)} ${'NDCG@10'.padStart(8)} ${'coverage'.padStart(9)}`,
  );
  for (const [name, run] of [
    [`planted (${result.planted.viewers.evaluated} evaluated)`, result.planted],
    [`control (${result.control.viewers.evaluated} evaluated)`, result.control],
  ] as const) {
    console.log(row(name, 'co-watch', run.coWatch));
    console.log(row('', 'popularity', run.popularity));
    console.log(row('', 'oracle', run.oracle));
    console.log(row('', 'Bayes oracle', run.bayesOracle));
    console.log(
      `${''.padEnd(30)} HR@10 vs popularity: co-watch ×${run.hitRateRatio}, oracle ×${run.oracleHitRateRatio}, ` +
        `Bayes oracle ×${run.bayesOracleHitRateRatio} (random order: ${run.randomHitRateAt10})`,
    );
    console.log(
      `${''.padEnd(30)} co-watch's share of the lead: oracle's ${percent(run.coWatchShareOfOracleLead)}, ` +
        `Bayes oracle's ${percent(run.coWatchShareOfBayesLead)}`,
    );
  }
  for (const run of result.sensitivity) {
    console.log(
      `planted, Zipf ${run.zipfExponent}: co-watch ${run.coWatchHitRateAt10} vs popularity ${run.popularityHitRateAt10} (×${run.hitRateRatio}); ` +
        `oracle ×${run.oracleHitRateRatio}, Bayes oracle ×${run.bayesOracleHitRateRatio}; ` +
        `co-watch's share of the Bayes lead ${percent(run.coWatchShareOfBayesLead)}`,
    );
  }
  console.log(
    `1-min load ${result.machine.load1.before} before, ${result.machine.load1.after} after; ${result.seconds} s`,
  );
  await writeFile(
    new URL('../results/reco-eval.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await close();
}
