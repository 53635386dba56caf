/**
 * The feature sets computed in ClickHouse (src/features/feature-queries.ts) on real chdb, from the
 * beacons of the hand-made views below. Every expected number is worked out by hand in the comments.
 *
 * NOW = 2025-06-10 12:00 UTC; the window is the 7 days before it. Heartbeats carry watch = play time.
 *
 * | view | viewer | title | age   | heartbeats: ms @ rung (SDK throughput kbps)        | stalls ms    | other                                        |
 * |------|--------|-------|-------|----------------------------------------------------|--------------|----------------------------------------------|
 * | a1   | v1     | A     | 12 h  | 10 000 @ 1080p/6000 (4 000), 10 000 @ 720p/3000 (6 000) | 1 000   | completion 95, player 720, desktop, CMCD mtp 9 000, stored twice |
 * | a2   | v2     | A     | 36 h  | 20 000 @ 720p/3000 (2 000)                         |              | completion 50                                |
 * | a3   | v3     | A     | 72 h  | —                                                  |              | failed start; CMCD mtp 800, 1 200, 1 600     |
 * | b1   | v1     | B     | 30 min| 10 000 (3 000)                                     |              | player 1080                                  |
 * | b2   | v2     | B     | 2 h   | 10 000                                             |              | completion 90                                |
 * | b4   | v4     | B     | 5 d   | 10 000                                             |              |                                              |
 * | c1   | v1     | C     | 20 h  | 20 000                                             | 1 000, 2 000 | tv                                           |
 * | c3   | v3     | C     | 6 d   | 10 000 @ 360p/800                                  |              |                                              |
 * | e4   | v4     | E     | 4 d   | 10 000                                             |              | stored before d4, same start                 |
 * | d4   | v4     | D     | 4 d   | 10 000                                             |              |                                              |
 * | old  | v1     | A     | 8 d   | 10 000                                             |              | outside the window                           |
 * | s1a  | s1 (synthetic) | A | 20 min | 10 000 (100)                                  | 5 000        |                                              |
 * | s1d  | s1 (synthetic) | D | 1 h    | 10 000                                        |              |                                              |
 *
 * Real viewer sets in the week: A {v1 v2 v3}, B {v1 v2 v4}, C {v1 v3}, D {v4}, E {v4}.
 */
import {
  FLEET_ENTITY,
  type TitleFeatures,
  type ViewerFeatures,
  validateTitleFeatures,
  validateViewerFeatures,
} from '@streamloop/core/features';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryTitleFeatures, queryViewerFeatures } from '../src/features/feature-queries.js';
import { runRollup } from '../src/jobs/rollup-job.js';
import { openChdbSession } from './chdb-session.js';
import { type FeatureView, insertFeatureViews } from './feature-views.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const NOW = Date.UTC(2025, 5, 10, 12, 0, 0);
const [A, B, C, D, E] = ['title-a', 'title-b', 'title-c', 'title-d', 'title-e'] as const;

const VIEWS: FeatureView[] = [
  {
    viewId: 'a1',
    viewerId: 'v1',
    videoId: A,
    ageMs: 12 * HOUR_MS,
    heartbeats: [
      { ms: 10_000, bitrateKbps: 6000, height: 1080, throughputKbps: 4000 },
      { ms: 10_000, bitrateKbps: 3000, height: 720, throughputKbps: 6000 },
    ],
    stallsMs: [1_000],
    completionPercent: 95,
    playerHeight: 720,
    deviceClass: 'desktop',
    cmcdMtpKbps: [9000],
    storedTwice: true,
  },
  {
    viewId: 'a2',
    viewerId: 'v2',
    videoId: A,
    ageMs: 36 * HOUR_MS,
    heartbeats: [{ ms: 20_000, bitrateKbps: 3000, height: 720, throughputKbps: 2000 }],
    completionPercent: 50,
  },
  {
    viewId: 'a3',
    viewerId: 'v3',
    videoId: A,
    ageMs: 72 * HOUR_MS,
    failedStart: true,
    cmcdMtpKbps: [800, 1200, 1600],
  },
  {
    viewId: 'b1',
    viewerId: 'v1',
    videoId: B,
    ageMs: 30 * MINUTE_MS,
    heartbeats: [{ ms: 10_000, throughputKbps: 3000 }],
    playerHeight: 1080,
  },
  {
    viewId: 'b2',
    viewerId: 'v2',
    videoId: B,
    ageMs: 2 * HOUR_MS,
    heartbeats: [{ ms: 10_000 }],
    completionPercent: 90,
  },
  { viewId: 'b4', viewerId: 'v4', videoId: B, ageMs: 5 * DAY_MS, heartbeats: [{ ms: 10_000 }] },
  {
    viewId: 'c1',
    viewerId: 'v1',
    videoId: C,
    ageMs: 20 * HOUR_MS,
    heartbeats: [{ ms: 20_000 }],
    stallsMs: [1_000, 2_000],
    deviceClass: 'tv',
  },
  {
    viewId: 'c3',
    viewerId: 'v3',
    videoId: C,
    ageMs: 6 * DAY_MS,
    heartbeats: [{ ms: 10_000, bitrateKbps: 800, height: 360 }],
  },
  { viewId: 'e4', viewerId: 'v4', videoId: E, ageMs: 4 * DAY_MS, heartbeats: [{ ms: 10_000 }] },
  { viewId: 'd4', viewerId: 'v4', videoId: D, ageMs: 4 * DAY_MS, heartbeats: [{ ms: 10_000 }] },
  { viewId: 'old', viewerId: 'v1', videoId: A, ageMs: 8 * DAY_MS, heartbeats: [{ ms: 10_000 }] },
  {
    viewId: 's1a',
    viewerId: 's1',
    videoId: A,
    ageMs: 20 * MINUTE_MS,
    heartbeats: [{ ms: 10_000, throughputKbps: 100 }],
    stallsMs: [5_000],
    synthetic: true,
  },
  {
    viewId: 's1d',
    viewerId: 's1',
    videoId: D,
    ageMs: HOUR_MS,
    heartbeats: [{ ms: 10_000 }],
    synthetic: true,
  },
];

/** 2^(−age / 24 h): a view's weight in decayed popularity, age in hours. */
const weight = (hours: number) => 0.5 ** (hours / 24);
const SQRT_HALF = Math.SQRT1_2;

const chdb = await openChdbSession();
beforeAll(() => insertFeatureViews(chdb.store, VIEWS, NOW));
afterAll(() => chdb.close());

const byId = <T>(rows: T[], id: (row: T) => string) => new Map(rows.map((row) => [id(row), row]));

describe('title features (real viewers, the default scope)', () => {
  let rows: Map<string, TitleFeatures>;
  let newestSourceAt: string | null;
  beforeAll(async () => {
    const answer = await queryTitleFeatures(chdb.store, { nowMs: NOW });
    rows = byId(answer.rows, (row) => row.videoId);
    newestSourceAt = answer.newestSourceAt;
    // Entity order, the fleet first; the view of 8 days ago and the synthetic viewer add no title.
    expect(answer.rows.map((row) => row.videoId)).toEqual([FLEET_ENTITY, A, B, C, D, E]);
  });

  it('answers rows the contract accepts, with the newest real beacon read', () => {
    for (const row of rows.values()) expect(validateTitleFeatures(row).ok, JSON.stringify(row)).toBe(true);
    // b1, 30 minutes ago; s1's beacons of 20 minutes ago are synthetic.
    expect(newestSourceAt).toBe(new Date(NOW - 30 * MINUTE_MS).toISOString());
  });

  it('counts popularity per hour, day and week, and decays it with a 24 h half-life', () => {
    // A: a1 12 h, a2 36 h, a3 72 h → 2^-0.5 + 2^-1.5 + 2^-3 = 1.5·√½ + 1/8.
    expect(rows.get(A)?.popularity).toEqual({
      h1: 0,
      h24: 1,
      d7: 3,
      decayed: expect.closeTo(1.5 * SQRT_HALF + 0.125, 9),
    });
    // B: b1 30 min, b2 2 h, b4 5 d.
    expect(rows.get(B)?.popularity).toEqual({
      h1: 1,
      h24: 2,
      d7: 3,
      decayed: expect.closeTo(weight(0.5) + weight(2) + weight(120), 9),
    });
    expect(rows.get(C)?.popularity).toMatchObject({ h1: 0, h24: 1, d7: 2 });
    // Fleet: the ten real views of the week.
    const hours = [12, 36, 72, 0.5, 2, 120, 20, 144, 96, 96];
    expect(rows.get(FLEET_ENTITY)?.popularity).toEqual({
      h1: 1,
      h24: 4,
      d7: 10,
      decayed: expect.closeTo(
        hours.reduce((sum, h) => sum + weight(h), 0),
        9,
      ),
    });
  });

  it("lists the fleet's most popular titles by decayed popularity, ties by videoId, on the fleet row only", () => {
    // The decayed popularity of each title, as above: B 2^(−0.5/24) + 2^(−2/24) + 2^(−5) ≈ 1.961,
    // A 1.5·√½ + 1/8 ≈ 1.186, C 2^(−20/24) + 2^(−6) ≈ 0.577; D and E one view 4 days ago each,
    // 2^−4 exactly: a tie, D first by id although E was stored first.
    expect(rows.get(FLEET_ENTITY)?.popular).toEqual([
      { videoId: B, score: expect.closeTo(weight(0.5) + weight(2) + weight(120), 9) },
      { videoId: A, score: expect.closeTo(1.5 * SQRT_HALF + 0.125, 9) },
      { videoId: C, score: expect.closeTo(weight(20) + weight(144), 9) },
      { videoId: D, score: 0.0625 },
      { videoId: E, score: 0.0625 },
    ]);
    for (const id of [A, B, C, D, E]) expect(rows.get(id)).not.toHaveProperty('popular');
  });

  it('shares the views that reached 90 % of the title', () => {
    // A: a1 95 of a1, a2 50, a3 none; B: b2 exactly 90 counts; fleet: a1 and b2 of 10.
    expect(rows.get(A)?.completionRate).toBeCloseTo(1 / 3, 12);
    expect(rows.get(B)?.completionRate).toBeCloseTo(1 / 3, 12);
    expect(rows.get(C)?.completionRate).toBe(0);
    expect(rows.get(FLEET_ENTITY)?.completionRate).toBeCloseTo(0.2, 12);
  });

  it('ranks co-watched titles by the cosine similarity of their viewer sets, ties by videoId', () => {
    const coWatch = (id: string) => rows.get(id)?.coWatch.map((n) => [n.videoId, n.score]);
    const close = (score: number) => expect.closeTo(score, 12);
    // Viewers: A {v1 v2 v3}, B {v1 v2 v4}, C {v1 v3}, D {v4}, E {v4}; shared / √(|X| · |Y|).
    // A∩C {v1 v3}: 2 / √(3 · 2); A∩B {v1 v2}: 2 / √(3 · 3).
    expect(coWatch(A)).toEqual([
      [C, close(2 / Math.sqrt(6))],
      [B, close(2 / 3)],
    ]);
    // B∩D = B∩E = {v4}: 1 / √(3 · 1), D before E although E was stored first; B∩C {v1}: 1 / √(3 · 2).
    expect(coWatch(B)).toEqual([
      [A, close(2 / 3)],
      [D, close(1 / Math.sqrt(3))],
      [E, close(1 / Math.sqrt(3))],
      [C, close(1 / Math.sqrt(6))],
    ]);
    expect(coWatch(C)).toEqual([
      [A, close(2 / Math.sqrt(6))],
      [B, close(1 / Math.sqrt(6))],
    ]);
    // D∩E {v4}: 1 / √(1 · 1).
    expect(coWatch(D)).toEqual([
      [E, 1],
      [B, close(1 / Math.sqrt(3))],
    ]);
    expect(coWatch(E)).toEqual([
      [D, 1],
      [B, close(1 / Math.sqrt(3))],
    ]);
    expect(rows.get(FLEET_ENTITY)?.coWatch).toEqual([]);
  });

  it("gives the week's rebuffer ratio and start failure rate, a view stored twice counting once", () => {
    // A: stall 1 000 / watch (20 000 + 20 000); 1 failed start (a3) of 3 plays.
    expect(rows.get(A)?.qoe).toEqual({
      views: 3,
      rebufferRatio: 0.025,
      startFailureRate: expect.closeTo(1 / 3, 12),
    });
    expect(rows.get(B)?.qoe).toEqual({ views: 3, rebufferRatio: 0, startFailureRate: 0 });
    // C: (1 000 + 2 000) / (20 000 + 10 000).
    expect(rows.get(C)?.qoe).toEqual({
      views: 2,
      rebufferRatio: expect.closeTo(0.1, 12),
      startFailureRate: 0,
    });
    // Fleet: 4 000 / 120 000 watch ms; 1 of 10 plays.
    expect(rows.get(FLEET_ENTITY)?.qoe).toEqual({
      views: 10,
      rebufferRatio: expect.closeTo(1 / 30, 12),
      startFailureRate: expect.closeTo(0.1, 12),
    });
  });

  it("shares the week's play time per rung, highest bitrate first", () => {
    // A: 1080p/6000 10 000 ms, 720p/3000 10 000 + 20 000 ms of 40 000.
    expect(rows.get(A)?.rungShare).toEqual([
      { height: 1080, bitrateKbps: 6000, share: 0.25 },
      { height: 720, bitrateKbps: 3000, share: 0.75 },
    ]);
    expect(rows.get(B)?.rungShare).toEqual([]);
    expect(rows.get(C)?.rungShare).toEqual([{ height: 360, bitrateKbps: 800, share: 1 }]);
    // Fleet: + c3's 10 000 ms at 360p/800, of 50 000.
    expect(rows.get(FLEET_ENTITY)?.rungShare).toEqual([
      { height: 1080, bitrateKbps: 6000, share: 0.2 },
      { height: 720, bitrateKbps: 3000, share: 0.6 },
      { height: 360, bitrateKbps: 800, share: 0.2 },
    ]);
  });

  it("distributes the audience's throughput with one sample per view", () => {
    // A's views: a1 median(4 000, 6 000) = 5 000 (its CMCD 9 000 unused: the SDK measured), a2 2 000,
    // a3 median of its session's CMCD (800, 1 200, 1 600) = 1 200. Sorted [1 200, 2 000, 5 000], rank
    // (n − 1)·q: p10 at 0.2 → 1 200 + 0.2·800; p25 at 0.5; p75 at 1.5 → 2 000 + 0.5·3 000; p90 at 1.8.
    expect(rows.get(A)?.throughputKbps).toEqual({
      samples: 3,
      p10: expect.closeTo(1360, 6),
      p25: expect.closeTo(1600, 6),
      p50: 2000,
      p75: expect.closeTo(3500, 6),
      p90: expect.closeTo(4400, 6),
    });
    expect(rows.get(B)?.throughputKbps).toEqual({
      samples: 1,
      p10: 3000,
      p25: 3000,
      p50: 3000,
      p75: 3000,
      p90: 3000,
    });
    expect(rows.get(C)?.throughputKbps).toEqual({ samples: 0, p10: 0, p25: 0, p50: 0, p75: 0, p90: 0 });
    // Fleet [1 200, 2 000, 3 000, 5 000]: p10 at 0.3, p25 at 0.75, p50 at 1.5, p75 at 2.25, p90 at 2.7.
    expect(rows.get(FLEET_ENTITY)?.throughputKbps).toEqual({
      samples: 4,
      p10: expect.closeTo(1200 + 0.3 * 800, 6),
      p25: expect.closeTo(1200 + 0.75 * 800, 6),
      p50: expect.closeTo(2500, 6),
      p75: expect.closeTo(3000 + 0.25 * 2000, 6),
      p90: expect.closeTo(3000 + 0.7 * 2000, 6),
    });
  });
});

describe('viewer features (real viewers, the default scope)', () => {
  let rows: Map<string, ViewerFeatures>;
  beforeAll(async () => {
    const answer = await queryViewerFeatures(chdb.store, { nowMs: NOW });
    rows = byId(answer.rows, (row) => row.viewerId);
    expect(answer.rows.map((row) => row.viewerId)).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect(answer.newestSourceAt).toBe(new Date(NOW - 30 * MINUTE_MS).toISOString());
  });

  it('answers rows the contract accepts', () => {
    for (const row of rows.values()) expect(validateViewerFeatures(row).ok, JSON.stringify(row)).toBe(true);
  });

  it("lists a viewer's titles most recent first, equal start times by videoId", () => {
    // v1: b1 30 min, a1 12 h, c1 20 h (the view of A 8 days ago is outside the week).
    expect(rows.get('v1')?.recentVideoIds).toEqual([B, A, C]);
    expect(rows.get('v2')?.recentVideoIds).toEqual([B, A]);
    expect(rows.get('v3')?.recentVideoIds).toEqual([A, C]);
    // d4 and e4 both 4 days ago: D first; then b4, 5 days ago.
    expect(rows.get('v4')?.recentVideoIds).toEqual([D, E, B]);
  });

  it("counts the week's views, stalls and failed starts, and the device and tallest player", () => {
    // v1: a1 (1 stall, desktop, player 720), b1 (no device, player 1080), c1 (2 stalls, tv, 8 h older than a1).
    expect(rows.get('v1')).toMatchObject({
      views7d: 3,
      rebuffers7d: 3,
      startFailures7d: 0,
      deviceClass: 'desktop',
      displayHeight: 1080,
    });
    expect(rows.get('v2')).toMatchObject({
      views7d: 2,
      rebuffers7d: 0,
      startFailures7d: 0,
      deviceClass: '',
      displayHeight: 0,
    });
    expect(rows.get('v3')).toMatchObject({ views7d: 2, rebuffers7d: 0, startFailures7d: 1 });
    expect(rows.get('v4')).toMatchObject({ views7d: 3, rebuffers7d: 0, startFailures7d: 0 });
  });

  it("distributes a viewer's own throughput measurements, each beacon once", () => {
    // v1: a1's 4 000 and 6 000 (stored twice, counted once) and b1's 3 000 → [3 000, 4 000, 6 000]:
    // p10 at rank 0.2 → 3 200, p25 at 0.5 → 3 500, p75 at 1.5 → 5 000, p90 at 1.8 → 4 000 + 0.8·2 000.
    expect(rows.get('v1')?.throughputKbps).toEqual({
      samples: 3,
      p10: expect.closeTo(3200, 6),
      p25: expect.closeTo(3500, 6),
      p50: 4000,
      p75: expect.closeTo(5000, 6),
      p90: expect.closeTo(5600, 6),
    });
    expect(rows.get('v2')?.throughputKbps).toEqual({
      samples: 1,
      p10: 2000,
      p25: 2000,
      p50: 2000,
      p75: 2000,
      p90: 2000,
    });
    // v3: no SDK measurement, so its session's CMCD mtp [800, 1 200, 1 600].
    expect(rows.get('v3')?.throughputKbps).toEqual({
      samples: 3,
      p10: expect.closeTo(880, 6),
      p25: expect.closeTo(1000, 6),
      p50: 1200,
      p75: expect.closeTo(1400, 6),
      p90: expect.closeTo(1520, 6),
    });
    expect(rows.get('v4')?.throughputKbps.samples).toBe(0);
  });
});

describe('synthetic scope', () => {
  it('computes simulated audiences only when asked', async () => {
    const titles = await queryTitleFeatures(chdb.store, { nowMs: NOW, scope: 'synthetic' });
    expect(titles.rows.map((row) => row.videoId)).toEqual([FLEET_ENTITY, A, D]);
    const a = titles.rows.find((row) => row.videoId === A);
    // s1a alone: 20 minutes ago, stall 5 000 of 10 000 watch ms; s1 watched A and D only.
    expect(a).toMatchObject({
      popularity: { h1: 1, h24: 1, d7: 1 },
      qoe: { views: 1, rebufferRatio: 0.5, startFailureRate: 0 },
      coWatch: [{ videoId: D, score: 1 }],
      throughputKbps: { samples: 1, p50: 100 },
    });
    expect(titles.newestSourceAt).toBe(new Date(NOW - 20 * MINUTE_MS).toISOString());
    const viewers = await queryViewerFeatures(chdb.store, { nowMs: NOW, scope: 'synthetic' });
    expect(viewers.rows.map((row) => [row.viewerId, row.recentVideoIds])).toEqual([['s1', [A, D]]]);
  });

  it('mixes both with scope all', async () => {
    const titles = await queryTitleFeatures(chdb.store, { nowMs: NOW, scope: 'all' });
    const a = titles.rows.find((row) => row.videoId === A);
    // A {v1 v2 v3 s1}: C {v1 v3} 2 / √(4 · 2); B {v1 v2 v4} 2 / √(4 · 3); D {v4 s1} 1 / √(4 · 2).
    expect(a?.coWatch).toEqual([
      { videoId: C, score: expect.closeTo(2 / Math.sqrt(8), 12) },
      { videoId: B, score: expect.closeTo(2 / Math.sqrt(12), 12) },
      { videoId: D, score: expect.closeTo(1 / Math.sqrt(8), 12) },
    ]);
    expect(a?.popularity).toMatchObject({ h1: 1, d7: 4 });
    const viewers = await queryViewerFeatures(chdb.store, { nowMs: NOW, scope: 'all' });
    expect(viewers.rows.map((row) => row.viewerId)).toEqual(['s1', 'v1', 'v2', 'v3', 'v4']);
  });
});

describe('limits', () => {
  // 60 days later, so the week above is out of the window: one viewer watches 52 titles, one a
  // minute, binge-00 first and binge-51 last (1 minute before LATER).
  const LATER = NOW + 60 * DAY_MS;
  const titleIds = Array.from({ length: 52 }, (_, i) => `binge-${String(i).padStart(2, '0')}`);
  beforeAll(() =>
    insertFeatureViews(
      chdb.store,
      titleIds.map((videoId, i) => ({
        viewId: `binge-view-${i}`,
        viewerId: 'binge',
        videoId,
        ageMs: (52 - i) * MINUTE_MS,
        heartbeats: [{ ms: 10_000 }],
      })),
      LATER,
    ),
  );

  it('keeps the 50 most similar titles, equal scores by videoId', async () => {
    const titles = await queryTitleFeatures(chdb.store, { nowMs: LATER });
    const last = titles.rows.find((row) => row.videoId === 'binge-51');
    // One viewer: every pair is 1 / √(1 · 1) = 1, so the 50 lowest ids other than binge-51.
    expect(last?.coWatch).toEqual(titleIds.slice(0, 50).map((videoId) => ({ videoId, score: 1 })));
  });

  it("keeps a viewer's 20 most recent titles", async () => {
    const viewers = await queryViewerFeatures(chdb.store, { nowMs: LATER });
    expect(viewers.rows).toHaveLength(1);
    expect(viewers.rows[0]?.recentVideoIds).toEqual(titleIds.slice(32).reverse());
    expect(viewers.rows[0]?.views7d).toBe(52);
  });

  it('refuses a window shorter than a minute, naming the option', async () => {
    await expect(queryTitleFeatures(chdb.store, { nowMs: NOW, windowMs: 0 })).rejects.toThrow(
      /windowMs must be/,
    );
  });
});

describe('rollups', () => {
  it('gives the same title features once the rollup job has rolled the week up', async () => {
    const before = await queryTitleFeatures(chdb.store, { nowMs: NOW });
    const rolled = await runRollup(chdb.store, { nowMs: NOW });
    expect(rolled.watermarkMs).toBeGreaterThan(NOW - 7 * DAY_MS);
    expect(await queryTitleFeatures(chdb.store, { nowMs: NOW })).toEqual(before);
  });
});
