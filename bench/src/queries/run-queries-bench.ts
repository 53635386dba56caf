/**
 * Query benchmark (issue 6): QoE overview, time series and breakdown latency over ~10 M synthetic
 * beacons (~100 k views) in chdb, three ways in the same run —
 *   raw:     from beacons_v1 alone (dedup on beacon_id, group into views, aggregate): the baseline;
 *   views:   the API's queries before the rollup job ran (views_v1, the view-level table, only);
 *   rollups: the API's queries after it (per-minute rollups; nothing left for views_v1).
 * Reports medians and the ratios raw/views and raw/rollups, plus insert cost with and without the
 * view-level materialized view. Run: `npm run bench:queries -w bench` (BENCH_BEACONS to change the size).
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { runRollup } from '@streamloop/analytics/jobs/rollup-job';
import { MIGRATIONS_DIR } from '@streamloop/analytics/migrations-dir';
import { getBreakdown, getOverview, getTimeseries } from '@streamloop/analytics/qoe-queries';
import { openBenchStore, timed } from './bench-store.js';
import { rawQoe } from './raw-baseline-queries.js';
import { BEACONS_PER_VIEW, insertDuplicates, insertSyntheticBeacons } from './synthetic-beacons.js';

const BEACONS = Number(process.env.BENCH_BEACONS ?? 10_000_000);
const INSERT_PROBE_BEACONS = Math.min(1_000_000, Math.round(BEACONS / 10));
const RUNS = 5;
const DAY_MS = 24 * 3600 * 1000;
const START_MS = Date.UTC(2025, 0, 1);
const VIEWS = BEACONS / BEACONS_PER_VIEW;
// Views spread over 7 days, whatever the size.
const SPACING_S = Math.max(1, Math.floor((7 * 24 * 3600) / VIEWS));
const range = { fromMs: START_MS, toMs: START_MS + 8 * DAY_MS };

const { store, close } = await openBenchStore('queries');
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

try {
  await store.migrate(MIGRATIONS_DIR);

  // Insert cost of the view-level MV: the same 1 M beacons into a plain copy of beacons_v1 and into beacons_v1.
  await store.client.command({ query: `CREATE TABLE bench.beacons_plain AS bench.beacons_v1` });
  const probe = { beacons: INSERT_PROBE_BEACONS, startMs: START_MS - 30 * DAY_MS, spacingS: SPACING_S };
  const plainInsert = await timed(() => insertSyntheticBeacons(store, { ...probe, table: 'beacons_plain' }));
  const mvInsert = await timed(() => insertSyntheticBeacons(store, probe));
  await store.client.command({ query: `TRUNCATE TABLE bench.beacons_v1` });
  await store.client.command({ query: `TRUNCATE TABLE bench.views_v1` });
  await store.client.command({ query: `DROP TABLE bench.beacons_plain` });
  console.log(
    `insert probe: ${INSERT_PROBE_BEACONS} beacons plain ${round(plainInsert.ms)} ms, with views MV ${round(mvInsert.ms)} ms`,
  );

  const load = await timed(() =>
    insertSyntheticBeacons(store, { beacons: BEACONS, startMs: START_MS, spacingS: SPACING_S }),
  );
  console.log(`inserted ${BEACONS} beacons (${VIEWS} views) in ${round(load.ms / 1000, 2)} s`);
  const duplicates = await timed(() => insertDuplicates(store));
  console.log(`stored 1 % again in ${round(duplicates.ms / 1000, 2)} s`);
  await store.client.command({ query: `OPTIMIZE TABLE bench.views_v1 FINAL` }).catch(() => undefined);

  const video = 'video-7';
  const cases = [
    {
      name: 'overview, all videos, 8 days',
      api: () => getOverview(store, range),
      raw: () => rawQoe(store, range, { kind: 'total' }),
    },
    {
      name: 'overview, one video, 8 days',
      api: () => getOverview(store, { ...range, videoId: video }),
      raw: () => rawQoe(store, { ...range, videoId: video }, { kind: 'total' }),
    },
    {
      name: 'timeseries 1 h, 8 days',
      api: () => getTimeseries(store, range, 3600_000),
      raw: () => rawQoe(store, range, { kind: 'hour' }),
    },
    {
      name: 'breakdown by browser, 8 days',
      api: () => getBreakdown(store, range, 'browser', { sortBy: 'views', limit: 100 }),
      raw: () => rawQoe(store, range, { kind: 'browser' }),
    },
  ];
  const measure = async (run: () => Promise<unknown>): Promise<number> => {
    await run(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await timed(run)).ms);
    return median(times);
  };

  const results: Record<string, { rawMs: number; viewsMs: number; rollupsMs: number }> = {};
  for (const c of cases) {
    results[c.name] = { rawMs: await measure(c.raw), viewsMs: await measure(c.api), rollupsMs: Number.NaN };
    console.log(
      `${c.name}: raw ${round(results[c.name]?.rawMs ?? 0)} ms, views ${round(results[c.name]?.viewsMs ?? 0)} ms`,
    );
  }
  const fromViews = await getOverview(store, range);

  const rollup = await timed(() => runRollup(store, { nowMs: range.toMs + DAY_MS }));
  console.log(`rollup job over everything: ${round(rollup.ms / 1000, 2)} s`);
  const rerun = await timed(() => runRollup(store, { nowMs: range.toMs + DAY_MS }));
  for (const c of cases) {
    const entry = results[c.name];
    if (entry !== undefined) entry.rollupsMs = await measure(c.api);
    console.log(`${c.name}: rollups ${round(entry?.rollupsMs ?? 0)} ms`);
  }
  const fromRollups = await getOverview(store, range);
  const [raw] = await rawQoe(store, range, { kind: 'total' });

  // The three paths must agree, duplicates and all, or the timings mean nothing.
  const agree = {
    plays: [fromViews.plays, fromRollups.plays, Number(raw?.plays)],
    viewers: [fromViews.viewers, fromRollups.viewers, Number(raw?.viewers)],
    watchTimeMs: [fromViews.watchTimeMs, fromRollups.watchTimeMs, Number(raw?.watch_time_ms)],
    rebufferTimeMs: [fromViews.rebufferTimeMs, fromRollups.rebufferTimeMs, Number(raw?.rebuffer_time_ms)],
    startupP50Ms: [fromViews.startupTimeMs.p50, fromRollups.startupTimeMs.p50, raw?.startup_time_ms[0]],
  };
  const allAgree = Object.values(agree).every(([a, b, c]) => a === b && b === c);
  console.log('agreement (views, rollups, raw):', agree, allAgree ? 'OK' : 'MISMATCH');

  const report = {
    benchmark: 'queries',
    date: new Date().toISOString(),
    command: `BENCH_BEACONS=${BEACONS} npm run bench:queries -w bench`,
    // Load average at the end: other work on a shared machine slows every path alike; ratios hold up better.
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAverage: loadavg() },
    data: { beacons: BEACONS, duplicatesStored: '1 %', views: VIEWS, days: 7, videos: 1000 },
    insert: {
      probeBeacons: INSERT_PROBE_BEACONS,
      plainMs: round(plainInsert.ms),
      withViewsMvMs: round(mvInsert.ms),
      mvCostRatio: round(mvInsert.ms / plainInsert.ms, 2),
      loadSeconds: round(load.ms / 1000, 2),
    },
    rollupJob: { firstRunSeconds: round(rollup.ms / 1000, 2), secondRunSeconds: round(rerun.ms / 1000, 2) },
    queries: Object.entries(results).map(([name, r]) => ({
      name,
      medianOf: RUNS,
      rawMs: round(r.rawMs),
      viewsTableMs: round(r.viewsMs),
      rollupsMs: round(r.rollupsMs),
      speedupViewsTable: round(r.rawMs / r.viewsMs, 2),
      speedupRollups: round(r.rawMs / r.rollupsMs, 2),
    })),
    agreement: { ...agree, allAgree },
  };
  console.log(JSON.stringify(report.queries, null, 2));
  await writeFile(
    new URL('../../results/queries.json', import.meta.url),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  if (!allAgree) process.exitCode = 1;
} finally {
  await close();
}
