/**
 * `GET /api/v1/recommendations/health` on real chdb (beacons through the consumer's own row step and
 * table) and a scratch PostgreSQL catalog, with numbers worked out by hand:
 *
 * Catalog: T1–T4 ready, public, with a ladder (4 recommendable); SIGNED ready but signed; DRAFT
 * processing.
 * Impressions, 1 h ago, real viewers, each during a view of T4 (a: other-c, b: other-fail): a sees T1,
 * T2 (co-watch), T3 (popular); b sees T1, T2 (co-watch), SIGNED (popular). a's T1 impression is stored twice (a redelivered batch). a clicks T1.
 *   co-watch 4 impressions, 1 click → 0.25; popular 2, 0 → 0; 6 impressions, 2 viewers shown;
 *   titles shown T1 T2 T3 SIGNED → 3 recommendable of 4 → coverage 0.75.
 * A simulated viewer sees T1 (co-watch) and clicks it: only with synthetic=all (co-watch 2 / 5 = 0.4).
 * Three days ago: one more co-watch impression, outside the default range.
 * Views, 1 h ago: rec-a (a, T1, began from a co-watch click: startup 400 ms, stalled 1 000 ms,
 * played 9 000 ms), rec-b (b, T3, popular: 800 ms, played 10 000 ms), other-c (a, T4: 1 000 ms,
 * played 10 000 ms), other-fail (b, T4: a fatal error before the first frame), and a simulated
 * recommended view.
 *   recommended: 2 views, startup p50 600 / p90 760 (exact, linear between 400 and 800),
 *     rebuffer ratio 1 000 / (19 000 + 1 000) = 0.05, start failures 0 %;
 *   other: 2 views, 2 plays, startup p50 = p90 = 1 000, rebuffer ratio 0, start failures 50 %.
 */
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { Beacon, RecommendationReason } from '@streamloop/core/schemas/beacon';
import type { RecommendationHealthResponse } from '@streamloop/core/schemas/recommendations';
import { makeBeacon, makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { registerRecommendationHealthRoute } from '../src/recommendations/recommendation-health-route.js';
import { openChdbSession } from './chdb-session.js';
import { rowsOf, viewBeacons } from './make-beacon.js';

const API_KEY = 'recommendation-health-key-0123456789';
const AUTH = { authorization: `Bearer ${API_KEY}` };
const HOUR_MS = 3600 * 1000;
const NOW = Date.UTC(2025, 6, 1, 12, 0, 0);

const chdb = await openChdbSession();
const scratch = await createScratchDatabase(postgresUrl(), 'analytics_rec_health');
const catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
await catalog.migrate();
const app = buildHttpApp({
  logger: createLogger({ name: 'recommendation-health-test', level: 'silent' }),
  registry: createMetricsRegistry({ collectProcessMetrics: false }),
  ports: [],
});
registerRecommendationHealthRoute(app, {
  analyticsStore: chdb.store,
  catalog,
  apiKey: API_KEY,
  now: () => NOW,
});

const id = (name: string) => uniqueName(name);
const [T1, T2, T3, T4, SIGNED, DRAFT] = ['t1', 't2', 't3', 't4', 'signed', 'draft'].map(id) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
let duplicatedBeaconId = '';
const SIMULATED = { synthetic: true, cohort: 'commuters', networkClass: '3g' } as const;

/** The view on screen when "Up next" showed: its beacons carry that view's ids, as the SDK sends them. */
type OnScreen = { viewId: string; viewerId: string; videoId: string };

/** One "Up next" beacon: `title` shown (or clicked) during the view `on` screen. */
const upNext = (
  event: 'recommendationimpression' | 'recommendationclick',
  on: OnScreen,
  title: string,
  reason: RecommendationReason,
  position: number,
  marks: Partial<Beacon> = {},
): Beacon =>
  makeBeacon({
    event,
    ...on,
    sessionId: `session-${on.viewId}`,
    recommendedVideoId: title,
    recommendationReason: reason,
    recommendationPosition: position,
    ...marks,
  });

/** A view's beacons, its viewstart saying it began from a click on a recommendation of `reason`. */
const recommendedView = (reason: RecommendationReason, view: Parameters<typeof viewBeacons>[0]): Beacon[] =>
  viewBeacons(view).map((beacon) =>
    beacon.event === 'viewstart' ? { ...beacon, recommendationReason: reason } : beacon,
  );

beforeAll(async () => {
  const ladder = makeLadderRecord();
  for (const videoId of [T1, T2, T3, T4]) {
    await insertVideo(catalog, {
      id: videoId,
      title: videoId,
      status: 'ready',
      playbackPolicy: 'public',
      ladder,
    });
  }
  await insertVideo(catalog, {
    id: SIGNED,
    title: 'signed',
    status: 'ready',
    playbackPolicy: 'signed',
    ladder,
  });
  await insertVideo(catalog, { id: DRAFT, title: 'draft', status: 'processing' });

  const table = createBeaconsTable(chdb.store);
  // a and b each watched T4 (other-c, other-fail), then saw "Up next"; the simulated viewer during rec-sim.
  const A: OnScreen = { viewId: 'other-c', viewerId: 'viewer-a', videoId: T4 };
  const B: OnScreen = { viewId: 'other-fail', viewerId: 'viewer-b', videoId: T4 };
  const SIM: OnScreen = { viewId: 'rec-sim', viewerId: 'sim-1', videoId: T1 };
  const aSeesT1 = upNext('recommendationimpression', A, T1, 'co-watch', 0);
  duplicatedBeaconId = aSeesT1.beaconId;
  const recent = [
    aSeesT1,
    upNext('recommendationimpression', A, T2, 'co-watch', 1),
    upNext('recommendationimpression', A, T3, 'popular', 2),
    upNext('recommendationimpression', B, T1, 'co-watch', 0),
    upNext('recommendationimpression', B, T2, 'co-watch', 1),
    upNext('recommendationimpression', B, SIGNED, 'popular', 2),
    upNext('recommendationclick', A, T1, 'co-watch', 0),
    upNext('recommendationimpression', SIM, T1, 'co-watch', 0, SIMULATED),
    upNext('recommendationclick', SIM, T1, 'co-watch', 0, SIMULATED),
    ...recommendedView('co-watch', {
      videoId: T1,
      viewId: 'rec-a',
      viewerId: 'viewer-a',
      startupTimeMs: 400,
      rebuffersMs: [1_000],
      heartbeatsWatchMs: [9_000],
    }),
    ...recommendedView('popular', {
      videoId: T3,
      viewId: 'rec-b',
      viewerId: 'viewer-b',
      startupTimeMs: 800,
      heartbeatsWatchMs: [10_000],
    }),
    ...viewBeacons({
      videoId: T4,
      viewId: 'other-c',
      viewerId: 'viewer-a',
      startupTimeMs: 1_000,
      heartbeatsWatchMs: [10_000],
    }),
    ...['viewstart', 'playrequest', 'error', 'viewend'].map((event) =>
      makeBeacon({
        event: event as Beacon['event'],
        videoId: T4,
        viewId: 'other-fail',
        viewerId: 'viewer-b',
        sessionId: 'session-other-fail',
        ...(event === 'error' ? { errorCode: 'MEDIA_ERR_SRC_NOT_SUPPORTED', fatal: true } : {}),
      }),
    ),
    ...recommendedView('co-watch', {
      videoId: T1,
      viewId: 'rec-sim',
      viewerId: 'sim-1',
      startupTimeMs: 5_000,
      heartbeatsWatchMs: [1_000],
      marking: SIMULATED,
    }),
  ];
  await table.insert(rowsOf(recent, NOW - HOUR_MS), 'recent');
  // The same beacon again in another batch (another token): stored twice, counted once.
  await table.insert(rowsOf([aSeesT1], NOW - HOUR_MS), 'redelivered');
  await table.insert(
    rowsOf(
      [upNext('recommendationimpression', { ...A, viewId: 'old-page' }, T4, 'co-watch', 0)],
      NOW - 72 * HOUR_MS,
    ),
    'old',
  );
});

afterAll(async () => {
  await app.close();
  await chdb.close();
  await catalog.close();
  await scratch.drop();
});

const health = (query = '', headers: Record<string, string> = AUTH) =>
  app.inject({ method: 'GET', url: `/api/v1/recommendations/health${query ? `?${query}` : ''}`, headers });

async function healthOf(query = ''): Promise<RecommendationHealthResponse> {
  const res = await health(query);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as RecommendationHealthResponse;
}

describe('GET /api/v1/recommendations/health', () => {
  it('counts click-through per reason over the last 24 h, each beacon once, real viewers only', async () => {
    const stored = await chdb.store.client.query({
      query: `SELECT count() AS n FROM ${chdb.store.database}.beacons_v1 WHERE beacon_id = {id:String}`,
      query_params: { id: duplicatedBeaconId },
      format: 'JSONEachRow',
    });
    expect(await stored.json()).toEqual([{ n: '2' }]);
    const body = await healthOf();
    expect(body).toMatchObject({
      from: new Date(NOW - 24 * HOUR_MS).toISOString(),
      to: new Date(NOW).toISOString(),
      synthetic: 'real',
    });
    expect(body.clickThrough).toEqual([
      { reason: 'co-watch', impressions: 4, clicks: 1, clickThroughRate: 0.25 },
      { reason: 'popular', impressions: 2, clicks: 0, clickThroughRate: 0 },
    ]);
  });

  it('says how much of the recommendable catalog was shown, and to how many viewers', async () => {
    expect((await healthOf()).coverage).toEqual({
      catalogTitles: 4,
      recommendedTitles: 3,
      coverage: 0.75,
      impressions: 6,
      viewersShown: 2,
    });
  });

  it("compares recommended views' QoE with the others' by the QoE API's definitions", async () => {
    expect((await healthOf()).qoe).toEqual({
      recommended: {
        views: 2,
        plays: 2,
        startupTimeMs: { p50: 600, p90: 760 },
        rebufferRatio: 0.05,
        videoStartFailurePercent: 0,
      },
      other: {
        views: 2,
        plays: 2,
        startupTimeMs: { p50: 1_000, p90: 1_000 },
        rebufferRatio: 0,
        videoStartFailurePercent: 50,
      },
    });
  });

  it('counts simulated viewers when asked (synthetic=all), and the older impression when the range covers it', async () => {
    const all = await healthOf('synthetic=all');
    expect(all.synthetic).toBe('all');
    expect(all.clickThrough[0]).toEqual({
      reason: 'co-watch',
      impressions: 5,
      clicks: 2,
      clickThroughRate: 0.4,
    });
    expect(all.coverage).toMatchObject({ impressions: 7, viewersShown: 3 });
    expect(all.qoe.recommended.views).toBe(3);

    const week = await healthOf(`from=${NOW - 7 * 24 * HOUR_MS}&to=${NOW}`);
    expect(week.clickThrough[0]).toMatchObject({ impressions: 5, clicks: 1, clickThroughRate: 0.2 });
    // T4 was shown three days ago: all four recommendable titles now.
    expect(week.coverage).toMatchObject({ recommendedTitles: 4, coverage: 1 });
  });

  it('answers a range without recommendations with zeros and nulls, not an error', async () => {
    const body = await healthOf('from=2020-01-01&to=2020-01-02');
    expect(body.clickThrough).toEqual([
      { reason: 'co-watch', impressions: 0, clicks: 0, clickThroughRate: null },
      { reason: 'popular', impressions: 0, clicks: 0, clickThroughRate: null },
    ]);
    expect(body.coverage).toEqual({
      catalogTitles: 4,
      recommendedTitles: 0,
      coverage: 0,
      impressions: 0,
      viewersShown: 0,
    });
    expect(body.qoe.recommended).toEqual({
      views: 0,
      plays: 0,
      startupTimeMs: { p50: null, p90: null },
      rebufferRatio: null,
      videoStartFailurePercent: null,
    });
  });

  it.each([
    ['from after to', 'from=2025-06-02&to=2025-06-01', /"from" must be before "to"/],
    [
      'a malformed from',
      'from=yesterday',
      /"from" \("yesterday"\) is neither epoch milliseconds nor ISO 8601/,
    ],
    ['a date-time without an offset', 'to=2025-06-01T10:00:00', /"to"/],
    ['an unknown scope', 'synthetic=bots', /synthetic must be one of real, synthetic, all/],
    [
      'a misspelt parameter',
      'form=2025-06-01',
      /unknown query parameter "form"; this route takes from, to and synthetic/,
    ],
  ])('400 ERR_VALIDATION with %s', async (_what, query, message) => {
    const res = await health(query);
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ERR_VALIDATION');
    expect(body.error.message).toMatch(message);
  });

  it('401 without the key, before it looks at the parameters', async () => {
    const res = await health('from=yesterday', {});
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'ERR_UNAUTHORIZED' } });
  });
});
