/**
 * Per-step viewer rows into every arm's estimates at every look (experiment-arm-looks.ts): what the
 * results' timeline and the final look rest on. The hand-worked numbers are worked out here; the
 * incremental moments are checked against moments summed afresh over each look's viewers.
 */
import { describe, expect, it } from 'vitest';
import { armLooks } from '../src/experiments/experiment-arm-looks.js';
import { PAIRS_WIDTH, RatioMoments, viewerPairs } from '../src/experiments/experiment-metrics.js';
import {
  type ExperimentViewerSteps,
  SUMMED_COLUMNS,
  type SummedColumn,
} from '../src/experiments/experiment-viewers-query.js';

interface Step {
  step: number;
  arm: string;
  viewer: string;
  views: number;
  startups: number[];
  rebufferMs?: number;
  bits?: number;
}

/** The query's columns from steps (each view watched and played 60 s). */
function columns(rows: readonly Step[]): ExperimentViewerSteps {
  const sums = (row: Step): Record<SummedColumn, number> => ({
    views: row.views,
    plays: row.views,
    started_views: row.startups.length,
    start_failures: 0,
    playback_failures: 0,
    rebuffer_count: (row.rebufferMs ?? 0) > 0 ? 1 : 0,
    rebuffer_time_ms: row.rebufferMs ?? 0,
    watch_time_ms: row.views * 60_000,
    play_time_ms: row.views * 60_000,
    upscale_time_ms: 0,
    bitrate_kbps_x_play_ms: row.bits ?? 0,
    bitrate_play_time_ms: row.bits === undefined ? 0 : row.views * 60_000,
  });
  return {
    step: rows.map((r) => r.step),
    arm: rows.map((r) => r.arm),
    viewer_id: rows.map((r) => r.viewer),
    synthetic_views: rows.map(() => 0),
    startup_times_ms: rows.map((r) => r.startups),
    ...Object.fromEntries(SUMMED_COLUMNS.map((column) => [column, rows.map((r) => sums(r)[column])])),
  } as ExperimentViewerSteps;
}

describe('armLooks', () => {
  // In step order, as the query returns them.
  const rows: Step[] = [
    { step: 0, arm: 'control', viewer: 'ann', views: 1, startups: [800] },
    { step: 0, arm: 'test', viewer: 'bob', views: 2, startups: [400, 600], rebufferMs: 3_000 },
    { step: 1, arm: 'test', viewer: 'dan', views: 1, startups: [700] },
    { step: 2, arm: 'control', viewer: 'ann', views: 2, startups: [1_000, 2_000] },
    { step: 2, arm: 'control', viewer: 'cat', views: 1, startups: [] },
    // Past the last look (a view in the minute the experiment ended): counted in the last look.
    { step: 3, arm: 'test', viewer: 'bob', views: 1, startups: [500] },
  ];
  const looks = armLooks(columns(rows), 3);
  const control = looks.get('control');
  const test = looks.get('test');

  it('counts each arm’s viewers by every look and its views by the last', () => {
    expect(control?.viewers).toEqual([1, 1, 2]);
    expect(test?.viewers).toEqual([1, 2, 2]);
    expect([control?.views, test?.views]).toEqual([4, 4]);
    expect([...looks.keys()]).toEqual(['control', 'test']);
  });

  it('estimates each metric from the totals at that look, over the viewers that have a value', () => {
    const last = test?.estimates[2];
    // bob: 3 s stalled in 3 × 60 s; dan: none in 60 s. CTA-2066 adds the stall to the played time.
    expect(last?.rebuffer_ratio?.value).toBeCloseTo(3_000 / 240_000, 15);
    expect(last?.rebuffer_ratio_cta2066?.value).toBeCloseTo(3_000 / 243_000, 15);
    expect(last?.watch_time_per_view_ms?.value).toBe(60_000);
    // At look 1 bob's last view is not in yet: 3 s stalled in 2 × 60 s and dan's 60 s.
    expect(test?.estimates[1]?.rebuffer_ratio?.value).toBeCloseTo(3_000 / 180_000, 15);
    // Mean startup per viewer at the last look: bob (400, 600, 500) → 500, dan 700.
    expect(last?.startup_time_ms?.value).toBe(600);
    expect(control?.estimates[2]?.watch_time_per_view_ms?.value).toBe(60_000); // ann 3 views, cat 1
    // Only ann reached a first frame: one viewer is no estimate.
    expect([control?.estimates[2]?.startup_time_ms, control?.estimates[2]?.startup_time_p95_ms]).toEqual([
      null,
      null,
    ]);
    expect(test?.estimates[0]?.rebuffer_ratio).toBeNull(); // bob alone
    // p95 of bob's and dan's three views at look 1 (400, 600, 700 → rank ⌈3 · 0.95⌉ = 3): 700.
    expect(test?.estimates[1]?.startup_time_p95_ms?.value).toBe(700);
  });

  it('has every metric null for an arm before its first view, and nothing without steps', () => {
    const late = armLooks(columns([{ step: 1, arm: 'late', viewer: 'eve', views: 1, startups: [900] }]), 3);
    expect(late.get('late')?.viewers).toEqual([0, 1, 1]);
    expect(Object.values(late.get('late')?.estimates[0] ?? {}).every((estimate) => estimate === null)).toBe(
      true,
    );
    expect(armLooks(columns([]), 2).size).toBe(0);
  });

  it('keeps the moments as if summed afresh over each look’s viewers', () => {
    // Viewers coming back over 8 looks, with stalls and bitrates that change the totals each time.
    const random = (() => {
      let state = 12_345;
      return () => {
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
        return state / 2 ** 31;
      };
    })();
    const many: Step[] = [];
    for (let step = 0; step < 8; step++)
      for (let i = 0; i < 60; i++)
        many.push({
          step,
          arm: i % 2 === 0 ? 'a' : 'b',
          viewer: `v${Math.floor(random() * 50) * 2 + (i % 2)}`,
          views: 1 + Math.floor(random() * 3),
          startups: random() < 0.9 ? [300 + Math.floor(random() * 4_000)] : [],
          rebufferMs: random() < 0.3 ? Math.floor(random() * 20_000) : 0,
          bits: Math.floor(random() * 3e9),
        });
    // The query's order: step, arm, viewer; one row per viewer and step.
    const merged = new Map<string, Step>();
    for (const row of many) {
      const key = `${row.step}|${row.arm}|${row.viewer}`;
      const seen = merged.get(key);
      merged.set(
        key,
        seen === undefined
          ? row
          : {
              ...seen,
              views: seen.views + row.views,
              startups: [...seen.startups, ...row.startups],
              rebufferMs: (seen.rebufferMs ?? 0) + (row.rebufferMs ?? 0),
              bits: (seen.bits ?? 0) + (row.bits ?? 0),
            },
      );
    }
    const ordered = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => row);
    const incremental = armLooks(columns(ordered), 8);
    for (let look = 0; look < 8; look++) {
      const upTo = columns(ordered.filter((row) => row.step <= look));
      for (const arm of ['a', 'b']) {
        // Afresh: each viewer's totals up to the look, every pair added once.
        const totals = new Map<string, { sums: Record<string, number>; times: number[] }>();
        upTo.arm.forEach((name, j) => {
          if (name !== arm) return;
          const id = upTo.viewer_id[j] as string;
          const viewer = totals.get(id) ?? { sums: {}, times: [] };
          for (const column of SUMMED_COLUMNS)
            viewer.sums[column] = (viewer.sums[column] ?? 0) + (upTo[column][j] as number);
          viewer.times.push(...(upTo.startup_times_ms[j] as number[]));
          totals.set(id, viewer);
        });
        const afresh = new RatioMoments();
        for (const [id, { sums, times }] of totals) {
          const sorted = [...times].sort((x, y) => x - y);
          const middle = (sorted.length - 1) / 2;
          const median =
            sorted.length === 0
              ? null
              : ((sorted[Math.floor(middle)] as number) + (sorted[Math.ceil(middle)] as number)) / 2;
          const pairs = new Float64Array(PAIRS_WIDTH);
          viewerPairs(
            {
              viewer_id: id,
              ...(sums as Record<SummedColumn, number>),
              startup_times_ms: times,
              startup_p50_ms: median,
            },
            pairs,
            0,
          );
          afresh.add(pairs, 0);
        }
        const expected = afresh.estimates();
        const actual = incremental.get(arm)?.estimates[look];
        expect(incremental.get(arm)?.viewers[look]).toBe(totals.size);
        for (const [metric, estimate] of Object.entries(expected)) {
          const got = actual?.[metric as keyof typeof expected];
          if (estimate === null) {
            expect(got, `${arm} look ${look} ${metric}`).toBeNull();
            continue;
          }
          expect(got?.viewers).toBe(estimate.viewers);
          expect(Math.abs((got?.value ?? 0) - estimate.value)).toBeLessThanOrEqual(
            1e-9 * Math.abs(estimate.value),
          );
          expect(Math.abs((got?.variance ?? 0) - estimate.variance)).toBeLessThanOrEqual(
            1e-6 * Math.abs(estimate.variance),
          );
        }
      }
    }
  });
});
