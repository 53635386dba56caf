/**
 * Experiment results bench (issue 12): the work of `GET /api/v1/experiments/:id/results`
 * (readExperimentResults: the per-viewer query at every look, the statistics, rung share) for one
 * two-arm experiment over ~10 M beacons (~100 k views, 40 k viewers, 7 days) in chdb, two ways in
 * the same run on the same data:
 *   raw:            before the rollup job ran: every view's beacons merged from views_v1 (what a
 *                   fresh experiment reads, and the engine's own path without our pre-aggregation);
 *   pre-aggregated: after it: per-viewer minute rows from experiment_viewer_minute_v1 (migration 010).
 * The per-viewer query is timed alone too, to split SQL from the statistics in Node. Both answers
 * must be equal, or the timings mean nothing. The beacons are generated load (bench/src/queries/
 * synthetic-beacons.ts) in a scratch database, not a simulated audience.
 * Run: `npm run bench:experiment-results -w bench` (BENCH_BEACONS to change the size).
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { lookSchedule } from '@streamloop/analytics/experiments/experiment-looks';
import { readExperimentResults } from '@streamloop/analytics/experiments/experiment-results';
import { queryExperimentViewerSteps } from '@streamloop/analytics/experiments/experiment-viewers-query';
import { runRollup } from '@streamloop/analytics/jobs/rollup-job';
import { MIGRATIONS_DIR } from '@streamloop/analytics/migrations-dir';
import { readWatermarkMs } from '@streamloop/analytics/qoe-sources';
import { type Experiment, experimentVariant } from '@streamloop/core/experiments';
import { machine } from '../machine.js';
import { openBenchStore, timed } from '../queries/bench-store.js';
import { BEACONS_PER_VIEW, insertSyntheticBeacons } from '../queries/synthetic-beacons.js';

const BEACONS = Number(process.env.BENCH_BEACONS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const DAY_MS = 24 * 3600 * 1000;
const START_MS = Date.UTC(2026, 10, 1);
const END_MS = START_MS + 7 * DAY_MS + DAY_MS / 24;
const VIEWS = BEACONS / BEACONS_PER_VIEW;
const SPACING_S = Math.max(1, Math.floor((7 * 24 * 3600) / VIEWS));
const iso = (ms: number): string => new Date(ms).toISOString();

const arm = (name: string, control: boolean, from: number) => ({
  name,
  ladderId: control ? 'default' : 'no-low',
  ladderVersion: 1,
  control,
  trafficPercent: 50,
  buckets: { from, to: from + 5_000 },
  stopped: null,
});
const experiment: Experiment = {
  id: 'bench-ladders',
  name: 'bench: drop the low rungs',
  scope: { videoIds: [] },
  arms: [arm('control', true, 0), arm('no-low', false, 5_000)],
  primaryMetric: 'rebuffer_ratio',
  guardrails: [{ metric: 'startup_time_ms', marginPercent: 10 }],
  minimumViewersPerArm: 1_000,
  status: 'stopped',
  createdBy: 'bench',
  createdAt: iso(START_MS),
  startedAt: iso(START_MS),
  stoppedAt: iso(END_MS),
  history: [],
};
const options = { nowMs: END_MS, scope: 'all', alpha: 0.05, egressUsdPerGb: 0.05 } as const;

const { store, close } = await openBenchStore('experiment-results');
/** Nearest-rank quantile. */
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
};
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
const measure = async (run: () => Promise<unknown>): Promise<{ p50Ms: number; p95Ms: number }> => {
  await run(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await timed(run)).ms);
  return { p50Ms: round(quantile(times, 0.5)), p95Ms: round(quantile(times, 0.95)) };
};

try {
  await store.migrate(MIGRATIONS_DIR);
  const load1Before = loadavg()[0] ?? 0;
  const variants: [string, string] = [
    experimentVariant(experiment.id, 'control'),
    experimentVariant(experiment.id, 'no-low'),
  ];
  const load = await timed(() =>
    insertSyntheticBeacons(store, { beacons: BEACONS, startMs: START_MS, spacingS: SPACING_S, variants }),
  );
  console.log(`inserted ${BEACONS} beacons (${VIEWS} views) in ${round(load.ms / 1000, 2)} s`);
  await store.client.command({ query: `OPTIMIZE TABLE bench.views_v1 FINAL` }).catch(() => undefined);

  const schedule = lookSchedule(START_MS, END_MS);
  const viewersQuery = async () =>
    queryExperimentViewerSteps(store, {
      experimentId: experiment.id,
      ...schedule,
      scope: options.scope,
      watermarkMs: await readWatermarkMs(store),
    });
  const results = () => readExperimentResults(store, experiment, options);

  const raw = { results: await measure(results), viewersQuery: await measure(viewersQuery) };
  const rawAnswer = await results();
  const rawRows = (await viewersQuery()).step.length;
  console.log(
    `raw: results ${JSON.stringify(raw.results)}, per-viewer query ${JSON.stringify(raw.viewersQuery)}`,
  );

  const rollup = await timed(() => runRollup(store, { nowMs: END_MS + DAY_MS }));
  console.log(`rollup job over everything: ${round(rollup.ms / 1000, 2)} s`);
  const pre = { results: await measure(results), viewersQuery: await measure(viewersQuery) };
  const preAnswer = await results();
  console.log(
    `pre-aggregated: results ${JSON.stringify(pre.results)}, per-viewer query ${JSON.stringify(pre.viewersQuery)}`,
  );
  const agree = JSON.stringify(rawAnswer) === JSON.stringify(preAnswer);
  console.log(`answers agree: ${agree ? 'OK' : 'MISMATCH'}`);

  const report = {
    benchmark: 'experiment-results',
    date: new Date().toISOString(),
    command: `BENCH_BEACONS=${BEACONS} npm run bench:experiment-results -w bench`,
    machine: machine(load1Before),
    data: {
      beacons: BEACONS,
      views: VIEWS,
      viewers: 40_000,
      days: 7,
      arms: 2,
      looks: schedule.looks,
      perViewerRowsReturned: rawRows,
      generated: 'synthetic-beacons.ts load, not a simulated audience',
    },
    runs: RUNS,
    quantiles: 'nearest rank over the runs (with 10 runs, p95 is the slowest)',
    raw,
    preAggregated: pre,
    rollupJobSeconds: round(rollup.ms / 1000, 2),
    speedup: {
      resultsP50: round(raw.results.p50Ms / pre.results.p50Ms, 2),
      resultsP95: round(raw.results.p95Ms / pre.results.p95Ms, 2),
      viewersQueryP50: round(raw.viewersQuery.p50Ms / pre.viewersQuery.p50Ms, 2),
    },
    answersAgree: agree,
  };
  await writeFile(
    new URL('../../results/experiment-results.json', import.meta.url),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  console.log(JSON.stringify(report, null, 2));
  if (!agree) process.exitCode = 1;
} finally {
  await close();
}
