/**
 * Issue 15's privacy floor and the views scope, at the production default (k = 5): a breakdown cell,
 * a rung or a views list backed by fewer than 5 real viewers is withheld and only named; simulated
 * viewers are not people and have no floor; the views list, a view's beacons and read-only SQL need
 * the 'analytics-views' scope, which an 'analytics-read' key does not hold. Also the views list's
 * worst-first order and its per-view QoE score (`qoeScore` of one view, checked view by view).
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import type { QoeSessionsResponse } from '@streamloop/core/schemas/qoe-api';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { createApiKeyAuth } from '@streamloop/service-kit/api-key';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { qoeScore } from '../src/qoe-score.js';
import { registerSqlRoutes } from '../src/sql-routes.js';
import { openChdbSession, qoeTestApp, viewsCaughtUp } from './chdb-session.js';
import { rowsOf, type ViewSpec, viewBeacons } from './make-beacon.js';

const LEGACY_KEY = 'privacy-test-legacy-key-0123';
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const HOUR_MS = 3600 * 1000;
const chdb = await openChdbSession();
const videoId = uniqueName('video');

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let catalog: ReturnType<typeof createPgCatalog>;
let app: FastifyInstance;
const keys = { read: '', views: '' };

/**
 * Six real viewers on variant "wide" at 3000 kbit/s, two on "narrow" at 800 kbit/s, two simulated
 * ones on "sim". The wide viewers differ in startup and stalls, so their scores differ.
 */
const wide: ViewSpec[] = [0, 1, 2, 3, 4, 5].map((i) => ({
  videoId,
  viewId: `wide-${i}`,
  viewerId: `viewer-wide-${i}`,
  startupTimeMs: 500 + i * 1500,
  rebuffersMs: i % 2 === 0 ? [] : [i * 400],
  heartbeatsWatchMs: [10_000],
  bitrateKbps: 3000,
}));
const narrow: ViewSpec[] = [0, 1].map((i) => ({
  videoId,
  viewId: `narrow-${i}`,
  viewerId: `viewer-narrow-${i}`,
  startupTimeMs: 900,
  heartbeatsWatchMs: [10_000],
  bitrateKbps: 800,
}));
const simulated: ViewSpec[] = [0, 1].map((i) => ({
  videoId,
  viewId: `sim-${i}`,
  viewerId: `viewer-sim-${i}`,
  startupTimeMs: 700,
  heartbeatsWatchMs: [10_000],
  bitrateKbps: 800,
  marking: { synthetic: true, cohort: 'lab', networkClass: '3g' },
}));
const variantOf = new Map<string, string>([
  ...wide.map((v) => [v.viewId, 'wide'] as const),
  ...narrow.map((v) => [v.viewId, 'narrow'] as const),
  ...simulated.map((v) => [v.viewId, 'sim'] as const),
]);

beforeAll(async () => {
  scratch = await createScratchDatabase(postgresUrl(), 'analytics_privacy');
  catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
  await catalog.migrate();
  keys.read = (await createApiKey(catalog, { owner: 'product', scopes: ['analytics-read'] })).key;
  keys.views = (await createApiKey(catalog, { owner: 'support', scopes: ['analytics-views'] })).key;
  const apiKey = createApiKeyAuth({ legacyKey: LEGACY_KEY, catalog });
  app = qoeTestApp(chdb.store, { apiKey, nowMs: NOW, privacyMinViewers: 'production default' });
  registerSqlRoutes(app, { analyticsStore: chdb.store, apiKey });
  const table = createBeaconsTable(chdb.store);
  for (const view of [...wide, ...narrow, ...simulated]) {
    const beacons = viewBeacons(view).map((b) => ({ ...b, variant: variantOf.get(view.viewId) ?? '' }));
    await table.insert(rowsOf(beacons, NOW - 2 * HOUR_MS), view.viewId);
  }
  await eventually('views_v1 to hold every beacon', async () =>
    (await viewsCaughtUp(chdb.store, videoId)) ? true : undefined,
  );
});
afterAll(async () => {
  await app?.close();
  await catalog?.close();
  await scratch?.drop();
  await chdb.close();
});

const get = async (path: string, key = LEGACY_KEY) => {
  const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } });
  return { status: res.statusCode, body: res.json() };
};

describe('the privacy floor at its default, k = 5', () => {
  it('withholds a breakdown cell of two viewers and names it, keeping the cell of six', async () => {
    const { status, body } = await get(`/api/v1/qoe/breakdown?videoId=${videoId}&dimension=variant`);
    expect(status).toBe(200);
    expect(body.rows.map((r: { value: string; viewers: number }) => [r.value, r.viewers])).toEqual([
      ['wide', 6],
    ]);
    expect(body.privacy).toEqual({ minViewers: 5, suppressed: ['narrow'] });
  });

  it('withholds the rung only two viewers played, in the renditions and in the overview', async () => {
    for (const path of [
      `/api/v1/qoe/renditions?videoId=${videoId}`,
      `/api/v1/qoe/overview?videoId=${videoId}`,
    ]) {
      const { body } = await get(path);
      expect(body.renditions.map((r: { bitrateKbps: number }) => r.bitrateKbps)).toEqual([3000]);
      expect(body.privacy.suppressed).toHaveLength(1);
      expect(body.privacy.suppressed[0]).toMatch(/@800kbps$/);
    }
  });

  it('withholds a views list that comes from fewer than five viewers, whole', async () => {
    const narrowList = await get(`/api/v1/qoe/sessions?videoId=${videoId}&variant=narrow`);
    expect(narrowList.status).toBe(200);
    expect(narrowList.body).toMatchObject({
      views: [],
      truncated: false,
      privacy: { minViewers: 5, suppressed: true },
    });
    // A short page of a long list is fine: the floor counts the viewers of the whole list.
    const page = await get(`/api/v1/qoe/sessions?videoId=${videoId}&variant=wide&limit=1`);
    expect(page.body).toMatchObject({ truncated: true, privacy: { suppressed: false } });
    expect(page.body.views).toHaveLength(1);
  });

  it('has no floor for simulated viewers, who are not people', async () => {
    const { body } = await get(
      `/api/v1/qoe/breakdown?videoId=${videoId}&dimension=variant&synthetic=synthetic`,
    );
    expect(body.rows.map((r: { value: string }) => r.value)).toEqual(['sim']);
    expect(body.privacy).toEqual({ minViewers: 1, suppressed: [] });
  });
});

describe('the analytics-views scope', () => {
  it("keeps the views list and a view's beacons from an analytics-read key (403 naming the fix)", async () => {
    for (const path of [
      `/api/v1/qoe/sessions?videoId=${videoId}`,
      `/api/v1/qoe/sessions/session-wide-0/beacons`,
    ]) {
      const refused = await get(path, keys.read);
      expect([refused.status, refused.body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
      expect(refused.body.error.message).toContain("'analytics-views'");
      expect(refused.body.error.message).toContain(
        'npm run keys -w stack -- create --scopes analytics-views',
      );
      expect((await get(path, keys.views)).status).toBe(200);
    }
    // The aggregates stay open to analytics-read, and closed to a views-only key.
    expect((await get(`/api/v1/qoe/overview?videoId=${videoId}`, keys.read)).status).toBe(200);
    expect((await get(`/api/v1/qoe/overview?videoId=${videoId}`, keys.views)).status).toBe(403);
  });

  it('keeps read-only SQL, which reads every row, from an analytics-read key', async () => {
    const sql = (key: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/sql',
        headers: { authorization: `Bearer ${key}` },
        payload: {
          query: `SELECT toUInt8(uniqExact(view_id)) AS n FROM ${chdb.store.database}.views_v1`,
          format: 'json',
        },
      });
    const refused = await sql(keys.read);
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect(refused.json().error.message).toContain("'analytics-views'");
    const answered = await sql(keys.views);
    expect(answered.statusCode).toBe(200);
    expect(answered.json()).toEqual([{ n: 10 }]);
  });
});

describe('the views list, worst first', () => {
  it("orders by each view's own QoE score, lowest first, and that score is qoeScore of the view", async () => {
    const { body } = (await get(`/api/v1/qoe/sessions?videoId=${videoId}&variant=wide&sort=worst`)) as {
      body: QoeSessionsResponse;
    };
    expect(body.sort).toBe('worst');
    expect(body.views).toHaveLength(6);
    const scores = body.views.map((v) => v.qoeScore);
    expect(scores).toEqual([...scores].sort((a, b) => (a ?? 0) - (b ?? 0)));
    // The slowest start (wide-5: 8 s, a 2 s stall) is the worst; the fastest (wide-0) the best.
    expect(body.views[0]?.viewId).toBe('wide-5');
    expect(body.views[5]?.viewId).toBe('wide-0');
    for (const view of body.views) {
      const expected = qoeScore({
        plays: 1,
        startFailures: view.videoStartFailure ? 1 : 0,
        playbackFailures: view.playbackFailure ? 1 : 0,
        startupP50Ms: view.startupTimeMs,
        rebufferRatio:
          view.playTimeMs + view.rebufferTimeMs > 0
            ? view.rebufferTimeMs / (view.playTimeMs + view.rebufferTimeMs)
            : null,
        upscaleTimeMs: 0,
        playTimeMs: view.playTimeMs,
      });
      expect(view.qoeScore).toBeCloseTo(expected?.score ?? Number.NaN, 1);
    }
  });

  it('answers 400 to an unknown order', async () => {
    const { status, body } = await get(`/api/v1/qoe/sessions?videoId=${videoId}&sort=best`);
    expect([status, body.error.code]).toEqual([400, 'ERR_VALIDATION']);
  });
});
