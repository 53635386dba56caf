/**
 * Per-step viewer rows into cumulative numbers at every look (experiment-viewer-looks.ts): what the
 * results' timeline and the final look rest on. Every expected number is worked out by hand here.
 */
import { describe, expect, it } from 'vitest';
import { armEstimates } from '../src/experiments/experiment-metrics.js';
import { viewerLooks } from '../src/experiments/experiment-viewer-looks.js';
import type { ExperimentViewerStepRow } from '../src/experiments/experiment-viewers-query.js';

function step(
  stepIndex: number,
  arm: string,
  viewer: string,
  views: number,
  startups: number[],
  rebufferMs = 0,
): ExperimentViewerStepRow {
  const n = (value: number) => String(value);
  return {
    step: stepIndex,
    arm,
    viewer_id: viewer,
    views: n(views),
    synthetic_views: '0',
    plays: n(views),
    started_views: n(startups.length),
    start_failures: '0',
    playback_failures: '0',
    rebuffer_count: n(rebufferMs > 0 ? 1 : 0),
    rebuffer_time_ms: n(rebufferMs),
    watch_time_ms: n(views * 60_000),
    play_time_ms: n(views * 60_000),
    upscale_time_ms: '0',
    bitrate_kbps_x_play_ms: '0',
    bitrate_play_time_ms: '0',
    startup_times_ms: startups,
  };
}

describe('viewerLooks', () => {
  // In step order, as the query returns them.
  const rows = [
    step(0, 'control', 'ann', 1, [800]),
    step(0, 'test', 'bob', 2, [400, 600], 3_000),
    step(1, 'test', 'dan', 1, [700]),
    step(2, 'control', 'ann', 2, [1_000, 2_000]),
    step(2, 'control', 'cat', 1, []),
    // Past the last look (a view in the minute the experiment ended): counted in the last look.
    step(3, 'test', 'bob', 1, [500]),
  ];
  const looks = viewerLooks(rows, 3);

  it('adds a viewer’s steps up to each look, and keeps the earlier looks as they were', () => {
    const views = (look: number, arm: string) => looks.at(look, arm).map((v) => [v.viewer_id, v.views]);
    expect(views(0, 'control')).toEqual([['ann', 1]]);
    expect(views(1, 'control')).toEqual([['ann', 1]]);
    expect(views(2, 'control')).toEqual([
      ['ann', 3],
      ['cat', 1],
    ]);
    expect(views(0, 'test')).toEqual([['bob', 2]]);
    expect(views(1, 'test')).toEqual([
      ['bob', 2],
      ['dan', 1],
    ]);
    expect(views(2, 'test')).toEqual([
      ['bob', 3],
      ['dan', 1],
    ]);
    expect(looks.at(2, 'test')[0]?.rebuffer_time_ms).toBe(3_000);
  });

  it('keeps every startup time and their median (linear between the middle two, none without)', () => {
    const [ann, cat] = looks.at(2, 'control');
    expect([...(ann?.startup_times_ms ?? [])].sort((a, b) => a - b)).toEqual([800, 1_000, 2_000]);
    expect(ann?.startup_p50_ms).toBe(1_000);
    expect(looks.at(0, 'test')[0]?.startup_p50_ms).toBe(500); // (400 + 600) / 2
    expect(cat?.startup_p50_ms).toBeNull();
  });

  it('estimates each metric from the totals at that look, over the viewers that have a value', () => {
    const test = armEstimates(looks.at(2, 'test'));
    // bob: 3 s stalled in 3 × 60 s; dan: none in 60 s. CTA-2066 adds the stall to the played time.
    expect(test.rebuffer_ratio?.value).toBeCloseTo(3_000 / 240_000, 15);
    expect(test.rebuffer_ratio_cta2066?.value).toBeCloseTo(3_000 / 243_000, 15);
    expect(test.watch_time_per_view_ms?.value).toBe(60_000);
    const control = armEstimates(looks.at(2, 'control'));
    expect(control.watch_time_per_view_ms?.value).toBe(60_000); // ann 3 views, cat 1, 60 s each
    // Only ann reached a first frame: one viewer is no estimate.
    expect([control.startup_time_ms, control.startup_time_p95_ms]).toEqual([null, null]);
    expect(armEstimates(looks.at(0, 'test')).rebuffer_ratio).toBeNull(); // bob alone
  });

  it('names every arm seen by a look, and has none before the first view', () => {
    expect(looks.armsAt(0)).toEqual(['control', 'test']);
    expect(viewerLooks([], 2).at(1, 'control')).toEqual([]);
  });
});
