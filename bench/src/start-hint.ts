/**
 * Does the start-rung hint help? (issue 14) SIMULATED (synthetic) viewers on the playback model, no
 * browser: `evaluateStartHint` (simulator/src/start-hint-evaluation.ts) over a larger population than
 * its test. Each viewer's next session is played twice on the same trace, VHS' default start and the
 * hint core's `startBitrateHintKbps` computes from their 5 previous views. Pure CPU and seeded: the
 * same seed gives the same file; this is a simulation, not a timing benchmark.
 *
 * Groups: slow = 3G (HSDPA), fast = 4G/LTE — the only class whose median exceeds VHS' 4.19 Mbit/s
 * default (there is no fibre class); each other class on its own as well. Then the two groups again
 * as Chromium plays them with VHS' default `useNetworkInformationApi`.
 *
 *   npm run build && npm run bench:start-hint -w bench    (knobs BENCH_VIEWERS, BENCH_SEED)
 */
import { writeFileSync } from 'node:fs';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import {
  evaluateStartHint,
  type GroupEvaluation,
  modelLadderOfDefinition,
  type StartHintEvaluationOptions,
} from '@streamloop/simulator/start-hint-evaluation';
import { load1, machine } from './machine.js';

const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 2000);
const SEED = process.env.BENCH_SEED ?? 'start-hint-2026';
const TITLE_SEC = 600;

const load1Before = load1();
const startedAt = Date.now();
const options: StartHintEvaluationOptions = {
  seed: SEED,
  ladder: modelLadderOfDefinition(DEFAULT_LADDER, TITLE_SEC),
  // A full-HD player: VHS caps the rung at the player's size, and the ladder's top needs this one.
  viewport: { width: 1920, height: 1080 },
  groups: [
    { name: 'slow', classIds: ['3g'] },
    { name: 'fast', classIds: ['lte'] },
    { name: 'fixed-fcc-2016', classIds: ['fixed-fcc-2016'] },
    { name: 'wifi-oboe', classIds: ['wifi-oboe'] },
    { name: 'puffer-2022', classIds: ['puffer-2022'] },
  ],
  viewersPerGroup: VIEWERS,
  priorSessions: 5,
  sessionPlaySec: 60,
};
const evaluation = evaluateStartHint(options);
const chromium = evaluateStartHint({
  ...options,
  groups: options.groups.slice(0, 2),
  networkInformation: { downlinkMultiplier: 1 },
});

const result = {
  benchmark: 'start-hint',
  synthetic: true,
  note: 'SIMULATED viewers on the playback model (VHS policy), not real audience data. Paired: each viewer’s next session played twice on the same trace, without and with the hint.',
  date: new Date().toISOString(),
  machine: machine(load1Before),
  seed: SEED,
  ladder: {
    id: DEFAULT_LADDER.id,
    version: DEFAULT_LADDER.version,
    titleSec: TITLE_SEC,
    rungs: options.ladder.rungs.map((rung) => ({
      height: rung.height,
      bandwidthKbps: rung.bandwidth / 1000,
    })),
  },
  viewport: options.viewport,
  viewersPerGroup: VIEWERS,
  priorSessions: options.priorSessions,
  sessionPlaySec: options.sessionPlaySec,
  defaultInitialBandwidth: evaluation.defaultInitialBandwidth,
  groups: evaluation.groups,
  chromiumNetworkInformationApi: chromium.groups,
  cpuSeconds: Number((process.cpuUsage().user / 1e6).toFixed(1)),
  wallSeconds: Number(((Date.now() - startedAt) / 1000).toFixed(1)),
};
writeFileSync(new URL('../results/start-hint.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;
const signed = (value: number, format: (v: number) => string): string =>
  `${value > 0 ? '+' : value < 0 ? '−' : '±'}${format(Math.abs(value))}`;
const rows = (groups: GroupEvaluation[]): string[][] =>
  groups.map((g) => [
    `${g.name} (${g.classes.map((c) => c.id).join(', ')})`,
    `${g.hintedSessions}/${g.sessions}`,
    g.hintKbps === null ? '-' : `${g.hintKbps.median}`,
    `${s(g.startupTimeMs.without.median)} → ${s(g.startupTimeMs.with.median)}`,
    `${s(g.startupTimeMs.without.p90)} → ${s(g.startupTimeMs.with.p90)}`,
    signed(g.startupTimeMs.pairedDifference.mean, s),
    `${Math.round(g.earlyStallMs.without.mean)} → ${Math.round(g.earlyStallMs.with.mean)} ms`,
    `${pct(g.earlyStallShare.without)} → ${pct(g.earlyStallShare.with)}`,
    signed(g.startupPlusEarlyStallMs.pairedDifference.mean, s),
    `${g.initialBitrateKbps.without.median} → ${g.initialBitrateKbps.with.median}`,
    `${g.firstPictureBitrateKbps.without.median} → ${g.firstPictureBitrateKbps.with.median}`,
  ]);
const header = [
  'group (classes)',
  'hinted',
  'hint kbps p50',
  'startup p50',
  'startup p90',
  'Δ startup (paired mean)',
  'stall ms in first 30 s (mean)',
  'sessions stalling in first 30 s',
  'Δ startup + early stall',
  'initial kbps p50',
  'first picture kbps p50',
];
const table = (title: string, groups: GroupEvaluation[]): string => {
  const body = rows(groups);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [title, line(header), ...body.map(line)].join('\n');
};
console.log(
  `SIMULATED (synthetic) viewers — not real audience data. ${VIEWERS} viewers per group, seed ${SEED}; each cell: without hint → with hint`,
);
console.log(table('Safari/Firefox (or useNetworkInformationApi: false)', evaluation.groups));
console.log();
console.log(table('Chromium with VHS’ default useNetworkInformationApi', chromium.groups));
console.log(`\nresults/start-hint.json (${result.wallSeconds} s wall)`);
