/**
 * `GET /api/v1/recommendations` on a scratch PostgreSQL catalog and the embedded feature store, with
 * hand-built feature rows published through publishFeatureSet. Every expected order and score is
 * worked out by hand below; the playback model's own numbers are only compared, never restated.
 *
 * Catalog: every video ready and public with a light ladder (lowest rung 150 + 99 = 249 kbit/s)
 * unless said: SIGNED (ready, signed), DRAFT (processing, no ladder), HEAVY (lowest rung 900 + 99 =
 * 999 kbit/s).
 *
 * Title set v1:
 * | row   | coWatch                                           | popular                                      |
 * |-------|---------------------------------------------------|----------------------------------------------|
 * | CUR   | N1 .6, SIGNED .55, N2 .5, DRAFT .45, R1 .4, N3 .2 |                                              |
 * | R1    | N3 .7, N1 .5, CUR .25                             |                                              |
 * | QSEED | HEAVY .5, LIGHT .5                                |                                              |
 * | *     |                                                   | P1 40, N2 30, P2 20, SIGNED 15, P3 10, P4 5  |
 *
 * Viewer set v1: `viewer-bb` watched R1, broadband (p10/p50/p90 50/100/150 Mbit/s); `viewer-3g`
 * nothing recent, 3G-class (300/800/1 500 kbit/s); `viewer-fast` nothing recent, broadband.
 */
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { insertVideo, patchVideo } from '@streamloop/catalog/video-repository';
import { FLEET_ENTITY, type TitleFeatures, type ViewerFeatures } from '@streamloop/core/features';
import { eventually } from '@streamloop/core/testing';
import { publishFeatureSet } from '@streamloop/feature-store/feature-sets';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { createMemoryFeatureStore } from '@streamloop/feature-store/memory-feature-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecommendableTitles } from '../src/recommendations/recommendable-titles.js';
import {
  LEGACY_KEY,
  ladderWithLowestRung,
  makeTitleRow,
  makeViewerRow,
  type RecommendationsApp,
  recommendationsApp,
  scored,
  summary,
  throughput,
} from './recommendations-fixtures.js';

const CUR = 'current-0001';
const [N1, N2, N3] = ['near-000001', 'near-000002', 'near-000003'];
const R1 = 'recent-00001';
const [P1, P2, P3, P4] = ['popular-0001', 'popular-0002', 'popular-0003', 'popular-0004'];
const SIGNED = 'signed-00001';
const DRAFT = 'draft-000001';
const QSEED = 'qoe-seed-001';
const HEAVY = 'heavy-000001';
const LIGHT = 'light-000001';
const FLIP = 'flip-0000001';

const LIGHT_LADDER = ladderWithLowestRung(150_000);
const HEAVY_LADDER = ladderWithLowestRung(900_000);
const BROADBAND = throughput(50_000, 100_000, 150_000);

const TITLE_ROWS: TitleFeatures[] = [
  makeTitleRow(FLEET_ENTITY, {
    popular: scored([P1, 40], [N2, 30], [P2, 20], [SIGNED, 15], [P3, 10], [P4, 5]),
    throughputKbps: throughput(2_000, 5_000, 9_000),
  }),
  makeTitleRow(CUR, {
    coWatch: scored([N1, 0.6], [SIGNED, 0.55], [N2, 0.5], [DRAFT, 0.45], [R1, 0.4], [N3, 0.2]),
  }),
  makeTitleRow(R1, { coWatch: scored([N3, 0.7], [N1, 0.5], [CUR, 0.25]) }),
  makeTitleRow(QSEED, { coWatch: scored([HEAVY, 0.5], [LIGHT, 0.5]) }),
];
const VIEWER_ROWS: ViewerFeatures[] = [
  makeViewerRow('viewer-bb', { recentVideoIds: [R1], throughputKbps: BROADBAND }),
  makeViewerRow('viewer-3g', { throughputKbps: throughput(300, 800, 1_500) }),
  makeViewerRow('viewer-fast', { throughputKbps: BROADBAND }),
];

const scratch = await createScratchDatabase(postgresUrl(), 'analytics_recommendations');
const catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
await catalog.migrate();

/** `summary` with scores to 6 decimals: a mean of two decimal similarities is not exact in binary. */
const rounded = (items: Parameters<typeof summary>[0]) =>
  summary(items).map(([videoId, reason, because, score]) => [
    videoId,
    reason,
    because,
    Math.round(score * 1e6) / 1e6,
  ]);

const publishTitles = (featureStore: FeatureStore, rows: TitleFeatures[]) =>
  publishFeatureSet(featureStore, 'title', rows, { newestSourceAt: null });

const store = createMemoryFeatureStore();
let api: RecommendationsApp;
const opened: RecommendationsApp[] = [];
const openApp = async (deps: Partial<Parameters<typeof recommendationsApp>[0]> = {}) => {
  const app = await recommendationsApp({ featureStore: store, catalog, ...deps });
  opened.push(app);
  return app;
};

beforeAll(async () => {
  const ready = (id: string, ladder = LIGHT_LADDER) =>
    insertVideo(catalog, { id, title: `Title ${id}`, status: 'ready', playbackPolicy: 'public', ladder });
  for (const id of [CUR, N1, N2, N3, R1, P1, P2, P3, P4, QSEED, LIGHT, FLIP]) await ready(id);
  await ready(HEAVY, HEAVY_LADDER);
  await insertVideo(catalog, {
    id: SIGNED,
    title: 'signed',
    status: 'ready',
    playbackPolicy: 'signed',
    ladder: LIGHT_LADDER,
  });
  await insertVideo(catalog, { id: DRAFT, title: 'draft', status: 'processing' });
  await publishTitles(store, TITLE_ROWS);
  await publishFeatureSet(store, 'viewer', VIEWER_ROWS, { newestSourceAt: null });
  api = await openApp();
});

afterAll(async () => {
  for (const { app } of opened) await app.close();
  await store.close();
  await catalog.close();
  await scratch.drop();
});

describe('co-watch and popularity', () => {
  it("ranks neighbours of the video on screen and of the viewer's recent titles, then popular titles below them", async () => {
    const { status, body } = await api.get(`videoId=${CUR}&viewerId=viewer-bb&qoeAware=false`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({
      viewerId: 'viewer-bb',
      videoId: CUR,
      featureVersions: { title: 1, viewer: 1 },
    });
    // Seeds CUR and R1; a score is the mean of the similarity to each seed (a seed not listing it: 0).
    // N1: (.6 from CUR + .5 from R1) / 2 = .55, because CUR (.6 is its best); N3: (.2 + .7) / 2 = .45,
    // because R1 — N1, near both titles, comes before N3, nearest to one; N2: (.5 + 0) / 2 = .25.
    // SIGNED (.275) and DRAFT (.225) are not recommendable, CUR and R1 are seeds. Popular: P1, P2,
    // P3, P4 (N2 is a co-watch title already, SIGNED not recommendable), scaled to half the lowest
    // co-watch score kept (.25 / 2 = .125) times decayed / the top's 40: .125, .0625, .03125, .015625.
    expect(rounded(body.items)).toEqual([
      [N1, 'co-watch', CUR, 0.55],
      [N3, 'co-watch', R1, 0.45],
      [N2, 'co-watch', CUR, 0.25],
      [P1, 'popular', null, 0.125],
      [P2, 'popular', null, 0.0625],
      [P3, 'popular', null, 0.03125],
      [P4, 'popular', null, 0.015625],
    ]);
    expect(body.items[0]).toMatchObject({
      title: `Title ${N1}`,
      predicted: { startupMs: null, stallRisk: null, lowestRungKbps: null, fits: null },
    });
  });

  it('keeps that order for a broadband viewer with the QoE step, every title fitting', async () => {
    const { body } = await api.get(`videoId=${CUR}&viewerId=viewer-bb`);
    expect(body.items.map((item) => item.videoId)).toEqual([N1, N3, N2, P1, P2, P3, P4]);
    // Every title has the light ladder: 249 kbit/s is far below the viewer's 50 Mbit/s p10.
    for (const item of body.items) expect(item.predicted).toMatchObject({ lowestRungKbps: 249, fits: true });
  });

  it('recommends a recent title of the viewer only to someone who has not just watched it', async () => {
    // Without the viewer, R1 is CUR's neighbour like any other, and CUR the one seed, so each score is
    // its similarity to CUR: N1 .6, N2 .5, R1 .4, N3 .2; popular under half of .2: .1 × 40/40, 20/40,
    // 10/40, 5/40.
    const { body } = await api.get(`videoId=${CUR}&limit=50`);
    expect(body.featureVersions).toEqual({ title: 1, viewer: null });
    expect(summary(body.items)).toEqual([
      [N1, 'co-watch', CUR, 0.6],
      [N2, 'co-watch', CUR, 0.5],
      [R1, 'co-watch', CUR, 0.4],
      [N3, 'co-watch', CUR, 0.2],
      [P1, 'popular', null, 0.1],
      [P2, 'popular', null, 0.05],
      [P3, 'popular', null, 0.025],
      [P4, 'popular', null, 0.0125],
    ]);
  });

  it('gives a viewer it does not know the popular titles, from 1 down', async () => {
    // No seeds: P1 40, N2 30, P2 20, (SIGNED), P3 10, P4 5 over the top's 40.
    const expected = [
      [P1, 'popular', null, 1],
      [N2, 'popular', null, 0.75],
      [P2, 'popular', null, 0.5],
      [P3, 'popular', null, 0.25],
      [P4, 'popular', null, 0.125],
    ];
    const unknown = await api.get('viewerId=nobody-at-all');
    expect(unknown.status).toBe(200);
    expect(unknown.body.featureVersions).toEqual({ title: 1, viewer: 1 });
    expect(summary(unknown.body.items)).toEqual(expected);
    const anonymous = await api.get('');
    expect(anonymous.body).toMatchObject({
      viewerId: null,
      videoId: null,
      featureVersions: { viewer: null },
    });
    expect(summary(anonymous.body.items)).toEqual(expected);
    const two = await api.get('viewerId=nobody-at-all&limit=2');
    expect(two.body.items.map((item) => item.videoId)).toEqual([P1, N2]);
  });

  it('never names a signed or unfinished video, nor recommends from one', async () => {
    const answers = await Promise.all(
      [`videoId=${CUR}`, `videoId=${CUR}&viewerId=viewer-bb`, 'viewerId=nobody-at-all', ''].map((q) =>
        api.get(`${q}&limit=50`),
      ),
    );
    for (const { body } of answers) {
      expect(body.items.map((item) => item.videoId)).not.toContain(SIGNED);
      expect(body.items.map((item) => item.videoId)).not.toContain(DRAFT);
    }
    for (const id of [SIGNED, DRAFT, 'unknown-00001']) {
      const { status, body } = await api.get(`videoId=${id}`);
      expect(status).toBe(404);
      expect(body.error?.code).toBe('ERR_NOT_FOUND');
      expect(body.error?.message).toContain(`no ready, public video with id ${id}`);
    }
  });
});

describe('QoE-aware ranking', () => {
  // QSEED's neighbours HEAVY and LIGHT are equally similar (.5), HEAVY first by id. Popular under
  // half of .5: P1 .25, N2 .1875, P2 .125, P3 .0625, P4 .03125, all on the light ladder.
  const POPULAR = [P1, N2, P2, P3, P4];

  it("ranks a title whose lowest rung is above a 3G viewer's p10 below every title that fits", async () => {
    const { body } = await api.get(`videoId=${QSEED}&viewerId=viewer-3g`);
    // HEAVY's lowest rung, 999 kbit/s, is above the viewer's p10 of 300; LIGHT's 249 is within it.
    expect(body.items.map((item) => item.videoId)).toEqual([LIGHT, ...POPULAR, HEAVY]);
    const heavy = body.items.find((item) => item.videoId === HEAVY);
    const light = body.items.find((item) => item.videoId === LIGHT);
    expect(heavy?.predicted).toMatchObject({ lowestRungKbps: 999, fits: false });
    expect(light?.predicted).toMatchObject({ lowestRungKbps: 249, fits: true });
    // The model runs on a worker: once it has answered, the next request carries its predictions.
    const predicted = await eventually('the model’s predictions', async () => {
      const { body: later } = await api.get(`videoId=${QSEED}&viewerId=viewer-3g`);
      const risk = (id: string) => later.items.find((item) => item.videoId === id)?.predicted.stallRisk;
      return risk(HEAVY) != null && risk(LIGHT) != null ? later : undefined;
    });
    expect(predicted.items.map((item) => item.videoId)).toEqual([LIGHT, ...POPULAR, HEAVY]);
    const risk = (id: string) => predicted.items.find((item) => item.videoId === id)?.predicted;
    expect(risk(HEAVY)?.stallRisk).toBeGreaterThan(risk(LIGHT)?.stallRisk ?? 1);
    expect(risk(LIGHT)?.startupMs).toBeGreaterThan(0);
  });

  it('keeps similarity order for the 3G viewer without the QoE step, and for a broadband viewer with it', async () => {
    const without = await api.get(`videoId=${QSEED}&viewerId=viewer-3g&qoeAware=false`);
    expect(without.body.items.map((item) => item.videoId)).toEqual([HEAVY, LIGHT, ...POPULAR]);
    // Both fit the broadband viewer and neither stalls at 50 Mbit/s: the tie stays by id.
    const broadband = await eventually('the model’s prediction for the broadband viewer', async () => {
      const answer = await api.get(`videoId=${QSEED}&viewerId=viewer-fast`);
      const risks = answer.body.items.slice(0, 2).map((item) => item.predicted.stallRisk);
      return risks.some((risk) => risk == null) ? undefined : answer;
    });
    expect(broadband.body.items.map((item) => item.videoId)).toEqual([HEAVY, LIGHT, ...POPULAR]);
    expect(broadband.body.items[0]?.predicted).toMatchObject({ fits: true, stallRisk: 0 });
  });
});

describe('bad input', () => {
  it.each([
    ['limit=0', 'query parameter "limit" must be an integer from 1 to 50 (default 10)'],
    ['limit=51', 'query parameter "limit" must be an integer from 1 to 50 (default 10)'],
    ['limit=ten', 'query parameter "limit" must be an integer from 1 to 50 (default 10)'],
    [
      // Core's Beacon viewerId: at most 128 characters.
      `viewerId=${'v'.repeat(129)}`,
      `query parameter "viewerId" must be the player SDK's viewer id: 1 to 128 letters, digits`,
    ],
    ['qoeAware=maybe', 'query parameter "qoeAware" must be true or false (default true)'],
  ])('refuses %s with 400, naming the rule', async (query, message) => {
    const { status, body } = await api.get(query);
    expect(status).toBe(400);
    expect(body.error?.code).toBe('ERR_VALIDATION');
    expect(body.error?.message).toContain(message);
  });

  it('rate limits a client address like public playback, never the operator key, and lets pages read the 429', async () => {
    const limited = await openApp({ rateLimit: { max: 2, timeWindowMs: 60_000 } });
    expect((await limited.get('')).status).toBe(200);
    expect((await limited.get('')).status).toBe(200);
    const res = await limited.app.inject({ method: 'GET', url: '/api/v1/recommendations' });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ error: { code: 'ERR_RATE_LIMITED' } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const operator = await limited.get('', { authorization: `Bearer ${LEGACY_KEY}` });
    expect(operator.status).toBe(200);
  });
});

describe('the feature store', () => {
  it('answers 503 when the feature store does not answer', async () => {
    const down = createMemoryFeatureStore();
    await down.close();
    const { status, body } = await (await openApp({ featureStore: down })).get(`videoId=${CUR}`);
    expect(status).toBe(503);
    expect(body.error).toEqual({
      code: 'ERR_DEPENDENCY_UNAVAILABLE',
      message: 'the feature store did not answer; try again',
    });
  });

  it('answers no titles and no versions before anything is published', async () => {
    const empty = createMemoryFeatureStore();
    try {
      const { status, body } = await (await openApp({ featureStore: empty })).get(
        `videoId=${CUR}&viewerId=viewer-bb`,
      );
      expect(status).toBe(200);
      expect(body).toEqual({
        viewerId: 'viewer-bb',
        videoId: CUR,
        featureVersions: { title: null, viewer: null },
        items: [],
      });
    } finally {
      await empty.close();
    }
  });

  it('reads every row of an answer from the one version it names', async () => {
    // Odd versions: CUR's one neighbour is N1 (.6), the fleet's popular P1; even ones: N3 (.9) and P2.
    const versioned = createMemoryFeatureStore();
    const rowsOf = (version: number) => [
      makeTitleRow(FLEET_ENTITY, { popular: scored(version % 2 === 1 ? [P1, 40] : [P2, 20]) }),
      makeTitleRow(CUR, { coWatch: scored(version % 2 === 1 ? [N1, 0.6] : [N3, 0.9]) }),
    ];
    // Co-watch .6 → popular .3 (P1 40/40); co-watch .9 → popular .45 (P2 20/20).
    const expectedFor = (version: number) =>
      version % 2 === 1
        ? [
            [N1, 'co-watch', CUR, 0.6],
            [P1, 'popular', null, 0.3],
          ]
        : [
            [N3, 'co-watch', CUR, 0.9],
            [P2, 'popular', null, 0.45],
          ];
    try {
      const app = await openApp({ featureStore: versioned });
      await publishTitles(versioned, rowsOf(1));
      const first = await app.get(`videoId=${CUR}`);
      expect(first.body.featureVersions.title).toBe(1);
      expect(summary(first.body.items)).toEqual(expectedFor(1));
      await publishTitles(versioned, rowsOf(2));
      const second = await app.get(`videoId=${CUR}`);
      expect(second.body.featureVersions.title).toBe(2);
      expect(summary(second.body.items)).toEqual(expectedFor(2));

      // A publish landing between a request's pointer read and its row reads. A race would give this
      // interleaving only sometimes, so the real store gets a hook that makes it certain: the first
      // row read (HMGET) after `raceOnce` is set publishes version 3 before it answers.
      let raceOnce = true;
      const racing: FeatureStore = {
        ...versioned,
        async hmget(key, fields) {
          if (raceOnce) {
            raceOnce = false;
            await publishTitles(versioned, rowsOf(3));
          }
          return versioned.hmget(key, fields);
        },
      };
      const raced = await (await openApp({ featureStore: racing })).get(`videoId=${CUR}`);
      // Resolved on 2, read on 2, although 3 went live in between.
      expect(raceOnce, 'the request read its rows after the hook published').toBe(false);
      expect(raced.body.featureVersions.title).toBe(2);
      expect(summary(raced.body.items)).toEqual(expectedFor(2));
      const after = await app.get(`videoId=${CUR}`);
      expect(after.body.featureVersions.title).toBe(3);
      expect(summary(after.body.items)).toEqual(expectedFor(3));
    } finally {
      await versioned.close();
    }
  });
});

describe('the catalog', () => {
  it('asks the catalog once per answer, and not at all while it refreshes titles asked lately', async () => {
    const queries: string[] = [];
    const counted = {
      ...catalog,
      query: (sql: string, params?: unknown[]) => {
        queries.push(sql);
        return catalog.query(sql, params);
      },
    } as typeof catalog;
    let clock = Date.UTC(2025, 0, 1);
    const app = await openApp({ titles: createRecommendableTitles({ catalog: counted, now: () => clock }) });
    const first = (await app.get(`videoId=${CUR}`)).body.items.map((item) => item.videoId);
    // The video on screen, then every candidate of the answer in one query.
    expect(queries).toHaveLength(2);
    clock += 20_000; // past half of the 30 s: served as remembered, refreshed behind the answer
    expect((await app.get(`videoId=${CUR}`)).body.items.map((item) => item.videoId)).toEqual(first);
    expect(queries.length).toBeLessThanOrEqual(4);
    const afterRefresh = queries.length;
    clock += 14_000; // 34 s after the first answer, 14 s after the refresh: fresh, not even refreshed
    expect((await app.get(`videoId=${CUR}`)).body.items.map((item) => item.videoId)).toEqual(first);
    expect(queries).toHaveLength(afterRefresh);
  });

  it('remembers which titles are recommendable for 30 s', async () => {
    const flipStore = createMemoryFeatureStore();
    let clock = Date.UTC(2025, 0, 1);
    try {
      await publishTitles(flipStore, [makeTitleRow(FLEET_ENTITY, { popular: scored([FLIP, 10]) })]);
      const app = await openApp({
        featureStore: flipStore,
        titles: createRecommendableTitles({ catalog, now: () => clock }),
      });
      expect((await app.get('')).body.items.map((item) => item.videoId)).toEqual([FLIP]);
      await patchVideo(catalog, FLIP, { playbackPolicy: 'signed' });
      // Still the answer the catalog gave a moment ago…
      clock += 29_999;
      expect((await app.get('')).body.items.map((item) => item.videoId)).toEqual([FLIP]);
      // …until 30 s after it was asked.
      clock += 1;
      expect((await app.get('')).body.items).toEqual([]);
    } finally {
      await flipStore.close();
    }
  });
});
