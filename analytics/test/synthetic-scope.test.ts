/**
 * Simulated viewers (issue 11) through the QoE API: real viewers only by default, `synthetic=all` or
 * `synthetic=synthetic` when asked, cohort and network class as filters and breakdown dimensions,
 * the same answers from views_v1 (live) and from the per-minute rollups, and a 400 for a scope that
 * does not exist. Every expected number below is worked out by hand from the five views.
 *
 * | view | marking               | viewer | start    | startup | stalls (ms)   | watch = play (ms) | rung (kbps) |
 * |------|-----------------------|--------|----------|---------|---------------|-------------------|-------------|
 * | r1   | real                  | r1     | T0       | 400     | —             | 10 000            | 3 000       |
 * | r2   | real                  | r2     | T0+1 min | 800     | 1 000         | 20 000            | 3 000       |
 * | s1   | synthetic commuters/3g| s1     | T0+2 min | 2 000   | 3 000 + 1 000 | 10 000            | 400         |
 * | s2   | synthetic commuters/3g| s2     | T0+3 min | 3 000   | 2 000         | 10 000            | 800         |
 * | s3   | synthetic home/4g     | s3     | T0+4 min | 600     | —             | 20 000            | 4 000       |
 */
import { uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { runRollup } from '../src/jobs/rollup-job.js';
import { readWatermarkMs } from '../src/qoe-sources.js';
import { openChdbSession, qoeTestApp } from './chdb-session.js';
import { rowsOf, type ViewSpec, viewBeacons } from './make-beacon.js';

const API_KEY = 'synthetic-api-key-0123456789';
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const MINUTE_MS = 60_000;
const T0 = NOW - 120 * MINUTE_MS;
const chdb = await openChdbSession();
const app = qoeTestApp(chdb.store, { apiKey: API_KEY, nowMs: NOW });

const videoId = uniqueName('video');
const COMMUTERS_3G = { synthetic: true, cohort: 'commuters', networkClass: '3g' } as const;
const HOME_4G = { synthetic: true, cohort: 'home', networkClass: '4g' } as const;
const VIEWS: [ViewSpec, number][] = [
  [
    {
      videoId,
      viewId: `${videoId}-r1`,
      viewerId: 'r1',
      startupTimeMs: 400,
      heartbeatsWatchMs: [10_000],
      bitrateKbps: 3000,
    },
    T0,
  ],
  [
    {
      videoId,
      viewId: `${videoId}-r2`,
      viewerId: 'r2',
      startupTimeMs: 800,
      rebuffersMs: [1_000],
      heartbeatsWatchMs: [20_000],
      bitrateKbps: 3000,
    },
    T0 + MINUTE_MS,
  ],
  [
    {
      videoId,
      viewId: `${videoId}-s1`,
      viewerId: 's1',
      startupTimeMs: 2_000,
      rebuffersMs: [3_000, 1_000],
      heartbeatsWatchMs: [10_000],
      bitrateKbps: 400,
      marking: COMMUTERS_3G,
    },
    T0 + 2 * MINUTE_MS,
  ],
  [
    {
      videoId,
      viewId: `${videoId}-s2`,
      viewerId: 's2',
      startupTimeMs: 3_000,
      rebuffersMs: [2_000],
      heartbeatsWatchMs: [10_000],
      bitrateKbps: 800,
      marking: COMMUTERS_3G,
    },
    T0 + 3 * MINUTE_MS,
  ],
  [
    {
      videoId,
      viewId: `${videoId}-s3`,
      viewerId: 's3',
      startupTimeMs: 600,
      heartbeatsWatchMs: [20_000],
      bitrateKbps: 4000,
      marking: HOME_4G,
    },
    T0 + 4 * MINUTE_MS,
  ],
];
const range = `videoId=${videoId}&from=${T0}&to=${T0 + 10 * MINUTE_MS}`;

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${API_KEY}` } });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}
async function getOk(path: string): Promise<Record<string, unknown>> {
  const { status, body } = await get(path);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Views, numbers by hand (table above). Quantiles are exact, linear between ranks. */
const EXPECTED = {
  real: {
    views: 2,
    plays: 2,
    viewers: 2,
    startupTimeMs: { p50: 600, p90: 760, p95: 780 },
    rebufferCount: 1,
    rebufferTimeMs: 1_000,
    watchTimeMs: 30_000,
    averageBitrateKbps: 3000,
  },
  synthetic: {
    views: 3,
    plays: 3,
    viewers: 3,
    // [600, 2000, 3000]
    startupTimeMs: { p50: 2000, p90: 2800, p95: 2900 },
    rebufferCount: 3,
    rebufferTimeMs: 6_000,
    watchTimeMs: 40_000,
    // (400 × 10 000 + 800 × 10 000 + 4000 × 20 000) / 40 000
    averageBitrateKbps: 2300,
  },
  all: {
    views: 5,
    plays: 5,
    viewers: 5,
    // [400, 600, 800, 2000, 3000]
    // 2000 + 0.6 × 1000 in floating point (ClickHouse interpolates 2599.9999999999995).
    startupTimeMs: { p50: 800, p90: expect.closeTo(2600, 6), p95: 2800 },
    rebufferCount: 4,
    rebufferTimeMs: 7_000,
    watchTimeMs: 70_000,
    // (3000 × 30 000 + 92 000 000) / 70 000
    averageBitrateKbps: 2600,
  },
} as const;

/** The 3g and 4g classes of the simulated audience. */
const NETWORK_CLASS_ROWS = [
  {
    value: '3g',
    views: 2,
    viewers: 2,
    rebufferCount: 3,
    rebufferTimeMs: 6_000,
    playTimeMs: 20_000,
    // CTA-2066: stall / (stall + play)
    rebufferRatio: 6_000 / 26_000,
    averageBitrateKbps: 600,
    startupTimeMs: { p50: 2500 },
  },
  {
    value: '4g',
    views: 1,
    viewers: 1,
    rebufferCount: 0,
    rebufferTimeMs: 0,
    playTimeMs: 20_000,
    rebufferRatio: 0,
    averageBitrateKbps: 4000,
    startupTimeMs: { p50: 600 },
  },
];

beforeAll(async () => {
  const table = createBeaconsTable(chdb.store);
  for (const [view, receivedAtMs] of VIEWS)
    await table.insert(rowsOf(viewBeacons(view), receivedAtMs), view.viewId);
});
afterAll(async () => {
  await app.close();
  await chdb.close();
});

/** Every metric route's answer for the three scopes (what the rollups must reproduce). */
async function everyAnswer(): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {};
  for (const scope of ['real', 'synthetic', 'all']) {
    for (const route of [
      'overview',
      'timeseries?interval=1m',
      'breakdown?dimension=networkClass',
      'breakdown?dimension=cohort',
      'top-videos',
      'renditions',
      'sessions',
    ]) {
      const sep = route.includes('?') ? '&' : '?';
      answers[`${route} ${scope}`] = await getOk(`/api/v1/qoe/${route}${sep}${range}&synthetic=${scope}`);
    }
  }
  return answers;
}

describe('the synthetic scope of the QoE API', () => {
  let live: Record<string, unknown>;

  it('counts real viewers only by default, and says so', async () => {
    const body = await getOk(`/api/v1/qoe/overview?${range}`);
    expect(body).toMatchObject({ synthetic: 'real', filters: { videoId }, ...EXPECTED.real });
  });

  it.each(['real', 'synthetic', 'all'] as const)('synthetic=%s counts exactly those views', async (scope) => {
    const body = await getOk(`/api/v1/qoe/overview?${range}&synthetic=${scope}`);
    expect(body).toMatchObject({ synthetic: scope, ...EXPECTED[scope] });
  });

  it('breaks the simulated audience down by network class and by cohort, per class as worked out', async () => {
    const byClass = await getOk(`/api/v1/qoe/breakdown?${range}&synthetic=synthetic&dimension=networkClass`);
    expect(byClass).toMatchObject({ synthetic: 'synthetic', dimension: 'networkClass' });
    expect(byClass.rows).toMatchObject(NETWORK_CLASS_ROWS);
    expect(byClass.rows).toHaveLength(2);

    const byCohort = await getOk(`/api/v1/qoe/breakdown?${range}&synthetic=synthetic&dimension=cohort`);
    expect(byCohort.rows).toMatchObject(
      NETWORK_CLASS_ROWS.map((row, i) => ({ ...row, value: ['commuters', 'home'][i] })),
    );

    // Real viewers have no class: one '' row with the real numbers; `all` shows the three side by side.
    const real = await getOk(`/api/v1/qoe/breakdown?${range}&dimension=networkClass`);
    expect(real.rows).toMatchObject([{ value: '', views: 2, rebufferCount: 1 }]);
    const all = await getOk(`/api/v1/qoe/breakdown?${range}&synthetic=all&dimension=networkClass`);
    expect(
      (all.rows as { value: string; views: number }[]).map(({ value, views }) => ({ value, views })),
    ).toEqual([
      { value: '', views: 2 },
      { value: '3g', views: 2 },
      { value: '4g', views: 1 },
    ]);
  });

  it('filters on cohort and network class, inside the scope', async () => {
    const filtered = await getOk(`/api/v1/qoe/overview?${range}&synthetic=synthetic&networkClass=3g`);
    expect(filtered).toMatchObject({
      filters: { videoId, networkClass: '3g' },
      views: 2,
      rebufferTimeMs: 6_000,
      averageBitrateKbps: 600,
    });
    // No real viewer is on a simulated network class.
    expect(await getOk(`/api/v1/qoe/overview?${range}&networkClass=3g`)).toMatchObject({
      views: 0,
      plays: 0,
    });
    expect(await getOk(`/api/v1/qoe/overview?${range}&synthetic=all&cohort=home`)).toMatchObject({
      views: 1,
      startupTimeMs: { p50: 600 },
    });
  });

  it('splits the time series and the renditions by scope', async () => {
    const views = async (scope: string) => {
      const body = await getOk(
        `/api/v1/qoe/timeseries?videoId=${videoId}&from=${T0}&to=${T0 + 5 * MINUTE_MS}&interval=1m&synthetic=${scope}`,
      );
      return (body.points as { views: number }[]).map((p) => p.views);
    };
    expect(await views('real')).toEqual([1, 1, 0, 0, 0]);
    expect(await views('synthetic')).toEqual([0, 0, 1, 1, 1]);
    expect(await views('all')).toEqual([1, 1, 1, 1, 1]);

    const renditions = await getOk(`/api/v1/qoe/renditions?${range}&synthetic=synthetic`);
    expect(
      (renditions.renditions as Record<string, unknown>[]).map(
        ({ bitrateKbps, playTimeMs, playTimePercent }) => ({
          bitrateKbps,
          playTimeMs,
          playTimePercent,
        }),
      ),
    ).toEqual([
      { bitrateKbps: 4000, playTimeMs: 20_000, playTimePercent: 50 },
      { bitrateKbps: 800, playTimeMs: 10_000, playTimePercent: 25 },
      { bitrateKbps: 400, playTimeMs: 10_000, playTimePercent: 25 },
    ]);
    const real = await getOk(`/api/v1/qoe/renditions?${range}`);
    expect(real.renditions).toMatchObject([{ bitrateKbps: 3000, playTimeMs: 30_000, playTimePercent: 100 }]);
  });

  it('lists each view with its marking, cohort and network class', async () => {
    const summary = async (scope: string) =>
      (
        (await getOk(`/api/v1/qoe/sessions?${range}&synthetic=${scope}`)).views as Record<string, unknown>[]
      ).map(({ viewId, synthetic, cohort, networkClass }) => ({ viewId, synthetic, cohort, networkClass }));
    const r = (id: string) => ({
      viewId: `${videoId}-${id}`,
      synthetic: false,
      cohort: '',
      networkClass: '',
    });
    const s = (id: string, cohort: string, networkClass: string) => ({
      viewId: `${videoId}-${id}`,
      synthetic: true,
      cohort,
      networkClass,
    });
    expect(await summary('real')).toEqual([r('r2'), r('r1')]);
    expect(await summary('synthetic')).toEqual([
      s('s3', 'home', '4g'),
      s('s2', 'commuters', '3g'),
      s('s1', 'commuters', '3g'),
    ]);
    expect(await summary('all')).toEqual([
      s('s3', 'home', '4g'),
      s('s2', 'commuters', '3g'),
      s('s1', 'commuters', '3g'),
      r('r2'),
      r('r1'),
    ]);
  });

  it("keeps a simulated session's beacons out of the real scope of the beacons route", async () => {
    const path = `/api/v1/qoe/sessions/session-${videoId}-s1/beacons`;
    const real = await get(path);
    expect(real.status).toBe(404);
    expect(real.body).toMatchObject({
      error: { code: 'ERR_NOT_FOUND', message: expect.stringMatching(/no real beacons/) },
    });
    const synthetic = await getOk(`${path}?synthetic=synthetic`);
    expect(synthetic.synthetic).toBe('synthetic');
    // viewstart, playrequest, firstframe, 2 × (rebufferstart, rebufferend), heartbeat, viewend
    expect(synthetic.beacons).toHaveLength(9);
    for (const beacon of synthetic.beacons as Record<string, unknown>[])
      expect(beacon).toMatchObject(COMMUTERS_3G);
    expect(await getOk(`/api/v1/qoe/sessions/session-${videoId}-r1/beacons`)).toMatchObject({
      synthetic: 'real',
    });
  });

  it('answers the same from the per-minute rollups as from views_v1', async () => {
    live = await everyAnswer();
    const { watermarkMs } = await runRollup(chdb.store, { nowMs: NOW });
    // The whole range is now read from the rollups.
    expect(watermarkMs).toBeGreaterThanOrEqual(T0 + 10 * MINUTE_MS);
    expect(await readWatermarkMs(chdb.store)).toBe(watermarkMs);
    const rows = await chdb.store.client.query({
      query: `
        SELECT synthetic, cohort, network_class, sum(views) AS views
        FROM ${chdb.store.database}.qoe_minute_v1 FINAL
        WHERE video_id = {videoId:String}
        GROUP BY synthetic, cohort, network_class ORDER BY synthetic, cohort`,
      query_params: { videoId },
      format: 'JSONEachRow',
    });
    expect(await rows.json()).toEqual([
      { synthetic: 0, cohort: '', network_class: '', views: '2' },
      { synthetic: 1, cohort: 'commuters', network_class: '3g', views: '2' },
      { synthetic: 1, cohort: 'home', network_class: '4g', views: '1' },
    ]);
    expect(await everyAnswer()).toEqual(live);
    expect(live['overview all']).toMatchObject(EXPECTED.all);
  });

  it.each([
    ['an unknown scope', 'yes'],
    ['a scope in capitals', 'REAL'],
    ['an empty scope', ''],
    ['a boolean', 'true'],
  ])('answers 400 ERR_VALIDATION naming the allowed values to %s', async (_what, value) => {
    for (const route of [
      `overview?${range}&`,
      `timeseries?${range}&`,
      `breakdown?${range}&dimension=cohort&`,
      `top-videos?${range}&`,
      `renditions?${range}&`,
      `sessions?${range}&`,
      `sessions/session-${videoId}-r1/beacons?`,
    ]) {
      const { status, body } = await get(`/api/v1/qoe/${route}synthetic=${encodeURIComponent(value)}`);
      expect(status, route).toBe(400);
      expect(body).toEqual({
        error: {
          code: 'ERR_VALIDATION',
          message: `synthetic must be one of real, synthetic, all (default real), got ${JSON.stringify(value)}`,
        },
      });
    }
  });
});
