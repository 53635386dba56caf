/**
 * What the QoE API must answer for the golden set (golden-fixture.ts), route by route. Shared by the
 * chdb test and the real-Kafka test so both paths are held to the very same numbers.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { GOLDEN_BY_BROWSER, GOLDEN_OVERVIEW, GOLDEN_VIEWS_PER_MINUTE } from './golden-fixture.js';

export const GOLDEN_API_KEY = 'golden-api-key-0123456789';
const MINUTE_MS = 60_000;

export async function getJson(app: FastifyInstance, path: string): Promise<Record<string, unknown>> {
  const res = await app.inject({
    method: 'GET',
    url: path,
    headers: { authorization: `Bearer ${GOLDEN_API_KEY}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Record<string, unknown>;
}

/** Every QoE route over the golden range [startMs, startMs + 10 min) answers the hand-worked numbers. */
export async function expectGoldenAnswers(
  app: FastifyInstance,
  prefix: string,
  startMs: number,
): Promise<void> {
  const from = new Date(startMs).toISOString();
  const to = new Date(startMs + 10 * MINUTE_MS).toISOString();
  const range = `from=${from}&to=${to}`;

  expect(await getJson(app, `/api/v1/qoe/overview?${range}`)).toEqual({
    from,
    to,
    filters: {},
    // Every golden view is a real viewer's: the default scope counts them all.
    synthetic: 'real',
    ...GOLDEN_OVERVIEW,
    // The floor is off for the golden set (k = 1): nothing is withheld.
    privacy: { minViewers: 1, suppressed: [] },
  });

  const breakdown = await getJson(app, `/api/v1/qoe/breakdown?${range}&dimension=browser`);
  expect(
    (breakdown.rows as Record<string, unknown>[]).map(({ value, views, plays, viewers }) => ({
      value,
      views,
      plays,
      viewers,
    })),
  ).toEqual(GOLDEN_BY_BROWSER);

  const series = await getJson(
    app,
    `/api/v1/qoe/timeseries?from=${from}&to=${new Date(startMs + 5 * MINUTE_MS).toISOString()}&interval=1m`,
  );
  expect(series).toMatchObject({ interval: '1m', intervalMs: MINUTE_MS });
  const points = series.points as { timeMs: number; views: number }[];
  expect(points.map((p) => p.timeMs)).toEqual([0, 1, 2, 3, 4].map((i) => startMs + i * MINUTE_MS));
  expect(points.map((p) => p.views)).toEqual(GOLDEN_VIEWS_PER_MINUTE);

  const top = await getJson(app, `/api/v1/qoe/top-videos?${range}`);
  // a: V1..V4 asked to play (4); b: V5 (1; V6 never asked)
  expect(
    (top.videos as { videoId: string; plays: number }[]).map(({ videoId, plays }) => ({ videoId, plays })),
  ).toEqual([
    { videoId: `${prefix}-a`, plays: 4 },
    { videoId: `${prefix}-b`, plays: 1 },
  ]);

  // Chrome is V1 and V3 only: 2 plays of u1, one start failure (V3) → 50 %; V1's startup 500 ms.
  const chrome = await getJson(app, `/api/v1/qoe/overview?${range}&browser=Chrome&videoId=${prefix}-a`);
  expect(chrome).toMatchObject({
    videoId: `${prefix}-a`,
    filters: { browser: 'Chrome', videoId: `${prefix}-a` },
    views: 2,
    plays: 2,
    viewers: 1,
    videoStartFailurePercent: 50,
    startupTimeMs: { p50: 500, p90: 500, p95: 500 },
  });

  const sessions = await getJson(app, `/api/v1/qoe/sessions?${range}`);
  expect(sessions.truncated).toBe(false);
  // Newest first, by start: V6 (+200 s) … V1 (+0 s).
  expect((sessions.views as { viewId: string }[]).map((v) => v.viewId)).toEqual(
    ['v6', 'v5', 'v4', 'v3', 'v2', 'v1'].map((id) => `${prefix}-${id}`),
  );
  expect((sessions.views as Record<string, unknown>[])[5]).toMatchObject({
    viewId: `${prefix}-v1`,
    browser: 'Chrome',
    country: 'US',
    startupTimeMs: 500,
    watchTimeMs: 20_400,
    rebufferCount: 1,
    startedAtMs: startMs,
  });
}
