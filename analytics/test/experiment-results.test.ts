/**
 * `GET /api/v1/experiments/:id/results` on chdb and a scratch PostgreSQL catalog: beacons of two arms
 * go in through the consumer's own row step and the beacons table, the experiments are created and
 * started through the catalog's repository, and the answer is read as an encoding engineer would.
 * Every expected number is worked out here from the inserted views.
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { getExperiment } from '@streamloop/catalog/experiment-repository';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { experimentVariant } from '@streamloop/core/experiments';
import { createLogger } from '@streamloop/core/logger';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { runGuardrailChecks } from '../src/experiments/experiment-guardrail-job.js';
import { runRollup } from '../src/jobs/rollup-job.js';
import { openChdbSession, viewsCaughtUp } from './chdb-session.js';
import { experimentResultsApp, RESULTS_AUTH, startTwoArmExperiment } from './experiment-results-app.js';
import { rowsOf, type ViewSpec, viewBeacons } from './make-beacon.js';

const HOUR_MS = 3_600_000;
const VIEWERS_PER_ARM = 120;
const WATCH_MS = 60_000;

const chdb = await openChdbSession();
const scratch = await createScratchDatabase(postgresUrl(), 'analytics_experiments');
const catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
await catalog.migrate();
let nowMs = Date.now();
const { app, results } = experimentResultsApp({ store: chdb.store, catalog, now: () => nowMs });

/** Control stalls 500 ms in every 4th viewer; the treatment 3 s or 4 s in every viewer. */
const controlStallMs = (i: number): number[] => (i % 4 === 0 ? [500] : []);
const treatmentStallMs = (i: number): number[] => [i % 2 === 0 ? 3_000 : 4_000];

const NAME = 'drop the low rungs';
const GUARDRAILS = [{ metric: 'rebuffer_ratio' as const, marginPercent: 10 }];

/** One view per viewer, spread over the experiment's first three hours, inserted as the consumer does. */
async function insertViews(
  experimentId: string,
  videoId: string,
  startedAtMs: number,
  arms: {
    arm: string;
    viewers: number;
    stallMs: (i: number) => number[];
    bitrateKbps: number;
    synthetic?: boolean;
  }[],
): Promise<void> {
  const rows = arms.flatMap(({ arm, viewers, stallMs, bitrateKbps, synthetic }) =>
    Array.from({ length: viewers }, (_, i) => {
      const viewerId = `${synthetic ? 'sim' : 'viewer'}-${arm}-${i}`;
      const spec: ViewSpec = {
        videoId,
        viewId: uniqueName(`view-${arm}-${i}`),
        viewerId,
        startupTimeMs: 800,
        rebuffersMs: stallMs(i),
        heartbeatsWatchMs: [WATCH_MS / 2, WATCH_MS / 2],
        bitrateKbps,
        ...(synthetic ? { marking: { synthetic: true, cohort: 'lab' } } : {}),
      };
      const beacons = viewBeacons(spec).map((b) => ({ ...b, variant: experimentVariant(experimentId, arm) }));
      return rowsOf(beacons, startedAtMs + (i % 3) * HOUR_MS + 60_000);
    }),
  );
  await createBeaconsTable(chdb.store).insert(rows.flat(), uniqueName('insert'));
  await eventually('views of the experiment', async () =>
    (await viewsCaughtUp(chdb.store, videoId)) ? true : undefined,
  );
}

let guarded: { id: string; startedAtMs: number; videoId: string };
let skewed: { id: string; videoId: string };

beforeAll(async () => {
  const videoA = uniqueName('video-a');
  const videoB = uniqueName('video-b');
  const a = await startTwoArmExperiment(catalog, { name: NAME, videoIds: [videoA], guardrails: GUARDRAILS });
  guarded = { ...a, videoId: videoA };
  await insertViews(a.id, videoA, guarded.startedAtMs, [
    { arm: 'control', viewers: VIEWERS_PER_ARM, stallMs: controlStallMs, bitrateKbps: 3_000 },
    { arm: 'no-low', viewers: VIEWERS_PER_ARM, stallMs: treatmentStallMs, bitrateKbps: 2_000 },
    { arm: 'control', viewers: 10, stallMs: () => [], bitrateKbps: 3_000, synthetic: true },
    { arm: 'retired', viewers: 3, stallMs: () => [], bitrateKbps: 3_000 },
  ]);

  const b = await startTwoArmExperiment(catalog, { name: NAME, videoIds: [videoB] });
  skewed = { id: b.id, videoId: videoB };
  // 80/20 viewers on a 50/50 split: assignment or logging is broken.
  await insertViews(b.id, videoB, b.startedAtMs, [
    { arm: 'control', viewers: 160, stallMs: () => [], bitrateKbps: 3_000 },
    { arm: 'no-low', viewers: 40, stallMs: () => [], bitrateKbps: 3_000 },
  ]);
  nowMs = guarded.startedAtMs + 3 * HOUR_MS;
}, 120_000);

afterAll(async () => {
  await app.close();
  await chdb.close();
  await catalog.close();
  await scratch.drop();
});

describe('GET /api/v1/experiments/:id/results', () => {
  it('shows both arms, the worse arm significantly worse on rebuffering, and stops it once', async () => {
    const body = await results(guarded.id, '?egressUsdPerGb=0.1');
    const [control, treatment] = body.arms;
    expect(control).toMatchObject({
      name: 'control',
      control: true,
      views: 120,
      viewers: 120,
      syntheticViews: 0,
    });
    expect(treatment).toMatchObject({ name: 'no-low', control: false, views: 120, viewers: 120 });

    const watchMs = VIEWERS_PER_ARM * WATCH_MS;
    const stall = (f: (i: number) => number[]) =>
      Array.from({ length: VIEWERS_PER_ARM }, (_, i) => f(i).reduce((a, b) => a + b, 0)).reduce(
        (a, b) => a + b,
        0,
      );
    const controlRatio = stall(controlStallMs) / watchMs; // 30 × 500 ms / 7 200 000 ms
    const treatmentRatio = stall(treatmentStallMs) / watchMs; // (60 × 3 s + 60 × 4 s) / 7 200 000 ms
    expect(control?.metrics.rebuffer_ratio).toBeCloseTo(controlRatio, 12);
    expect(treatment?.metrics.rebuffer_ratio).toBeCloseTo(treatmentRatio, 12);
    expect(control?.metrics.bitrate_kbps).toBe(3_000);
    // CTA-2066 counts the stall against playing + stalled time (every heartbeat here played 30 s).
    const playMs = VIEWERS_PER_ARM * WATCH_MS;
    const cta = (f: (i: number) => number[]) => stall(f) / (playMs + stall(f));
    expect(control?.metrics.rebuffer_ratio_cta2066).toBeCloseTo(cta(controlStallMs), 12);
    expect(treatment?.metrics.rebuffer_ratio_cta2066).toBeCloseTo(cta(treatmentStallMs), 12);
    expect(treatment?.comparisons.find((c) => c.metric === 'rebuffer_ratio_cta2066')).toMatchObject({
      significant: true,
      verdict: 'worse',
    });

    const rebuffer = treatment?.comparisons.find((c) => c.metric === 'rebuffer_ratio');
    expect(rebuffer?.relativeLift).toBeCloseTo(treatmentRatio / controlRatio - 1, 9); // +2700 %
    expect(rebuffer).toMatchObject({ significant: true, verdict: 'worse' });
    expect(rebuffer?.alwaysValid.pValue).toBeLessThan(0.05);
    expect(rebuffer?.alwaysValid.lower).toBeGreaterThan(0.1);
    expect(treatment?.guardrails).toEqual([
      expect.objectContaining({ metric: 'rebuffer_ratio', marginPercent: 10, status: 'breached' }),
    ]);
    expect(body.armsStopped).toEqual(['no-low']);
    expect(body.guardrailsEnforced).toBe(true);
    expect(body.unknownArmViews).toBe(3);
    expect(treatment?.stopped?.reason).toMatch(
      /guardrail rebuffer_ratio breached: lift \+?2700\.0 %.*margin 10 %/,
    );

    // Egress: 120 viewers × 60 s at 3 000 kbps = 21.6 Gbit = 2.7 GB, × $0.1/GB.
    expect(control?.bitsDelivered).toBe(120 * 60 * 3_000_000);
    expect(control?.egressCostUsd).toBeCloseTo(0.27, 9);

    // A look per hour; the first two had under 100 viewers an arm (40, 80), so no evidence yet.
    expect(body.lookStepHours).toBe(1);
    expect(body.primaryTimeline.map((p) => p.pValue?.toFixed(2))).toEqual([
      '1.00',
      '1.00',
      expect.any(String),
    ]);
    expect(body.primaryTimeline[2]?.pValue).toBeLessThan(0.05);

    // Equal viewers on a 50/50 split: χ² = 0.
    expect(body.sampleRatioMismatch).toMatchObject({
      asOf: new Date(guarded.startedAtMs + 3 * HOUR_MS).toISOString(),
      observedViewers: [120, 120],
      chiSquare: 0,
      flagged: false,
    });

    const stored = await getExperiment(catalog, guarded.id);
    expect(stored?.arms.find((a) => a.name === 'no-low')?.stopped?.reason).toMatch(/rebuffer_ratio/);
    expect(stored?.arms.find((a) => a.name === 'control')?.stopped).toBeNull();

    // Read again: still breached, but the arm is stopped once.
    const again = await results(guarded.id);
    expect(again.armsStopped).toEqual([]);
    // SRM counts viewers up to the last look that ended before the stop (the stopped arm's viewers go
    // to control after it); here the stop came before the first look ended, so there is none.
    expect(again.sampleRatioMismatch).toBeNull();
    const stops = (await getExperiment(catalog, guarded.id))?.history.filter(
      (e) => e.action === 'stopped arm no-low',
    );
    expect(stops).toEqual([expect.objectContaining({ actor: 'guardrail' })]);
  });

  it('counts simulated viewers only when asked, and says so', async () => {
    const body = await results(guarded.id, '?synthetic=synthetic');
    expect(body.synthetic).toBe('synthetic');
    expect(body.guardrailsEnforced).toBe(false);
    expect(body.arms.map((a) => [a.name, a.viewers, a.syntheticViews])).toEqual([
      ['control', 10, 10],
      ['no-low', 0, 0],
    ]);
  });

  it('flags a sample-ratio mismatch: 160 / 40 viewers on a 50 / 50 split', async () => {
    const body = await results(skewed.id);
    // Expected 100 each: χ² = (60² + 60²) / 100 = 72, far beyond the p < 0.001 line (10.83 for 1 df).
    expect(body.sampleRatioMismatch).toMatchObject({
      observedViewers: [160, 40],
      expectedViewers: [100, 100],
      chiSquare: 72,
      flagged: true,
    });
    expect(body.armsStopped).toEqual([]);
  });

  it('the guardrail job stops a breached arm without anyone reading the results, once', async () => {
    const videoC = uniqueName('video-c');
    const c = await startTwoArmExperiment(catalog, {
      name: NAME,
      videoIds: [videoC],
      guardrails: GUARDRAILS,
    });
    const { startedAtMs } = c;
    await insertViews(c.id, videoC, startedAtMs, [
      { arm: 'control', viewers: VIEWERS_PER_ARM, stallMs: controlStallMs, bitrateKbps: 3_000 },
      { arm: 'no-low', viewers: VIEWERS_PER_ARM, stallMs: treatmentStallMs, bitrateKbps: 2_000 },
    ]);
    const job = {
      analyticsStore: chdb.store,
      catalog,
      logger: createLogger({ name: 'guardrail-job-test', level: 'silent' }),
      now: () => startedAtMs + 3 * HOUR_MS,
    };
    expect(await runGuardrailChecks(job)).toContainEqual({ experimentId: c.id, arm: 'no-low' });
    const stored = await getExperiment(catalog, c.id);
    expect(stored?.arms.find((a) => a.name === 'no-low')?.stopped?.reason).toMatch(
      /guardrail rebuffer_ratio breached.*\(real viewers\)/,
    );
    expect(await runGuardrailChecks(job)).not.toContainEqual({ experimentId: c.id, arm: 'no-low' });
    const stops = (await getExperiment(catalog, c.id))?.history.filter(
      (e) => e.action === 'stopped arm no-low',
    );
    expect(stops).toHaveLength(1);
  });

  it('404 for an unknown experiment, 400 for a bad or misspelt parameter, 401 without a key, 403 without analytics-read', async () => {
    const unknown = await app.inject({
      method: 'GET',
      url: '/api/v1/experiments/exp-nope/results',
      headers: RESULTS_AUTH,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } });

    const none = await app.inject({ method: 'GET', url: `/api/v1/experiments/${guarded.id}/results` });
    expect(none.statusCode).toBe(401);

    for (const query of ['?synthetic=everyone', '?synthtic=all', '?egressUsdPerGb=-1']) {
      const bad = await app.inject({
        method: 'GET',
        url: `/api/v1/experiments/${guarded.id}/results${query}`,
        headers: RESULTS_AUTH,
      });
      expect(bad.statusCode, query).toBe(400);
      expect(bad.json(), query).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    }

    const { key } = await createApiKey(catalog, { owner: 'uploader', scopes: ['upload'] });
    const upload = await app.inject({
      method: 'GET',
      url: `/api/v1/experiments/${guarded.id}/results`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(upload.statusCode).toBe(403);
  });
  it('answers the same from the rollups once the views settled, with the views themselves gone', async () => {
    const before = [
      await results(guarded.id),
      await results(skewed.id),
      await results(guarded.id, '?synthetic=all'),
    ];
    const rolled = await runRollup(chdb.store, { nowMs: nowMs + HOUR_MS, settleMs: 30 * 60_000 });
    expect(rolled.watermarkMs).toBeGreaterThan(nowMs);
    // Proof the answer comes from experiment_viewer_minute_v1 (and the rendition rollups): the views
    // it was computed from are deleted.
    await chdb.store.client.command({
      query: `ALTER TABLE ${chdb.store.database}.views_v1 DELETE
        WHERE video_id IN ({videos:Array(String)}) SETTINGS mutations_sync = 2`,
      query_params: { videos: [guarded.videoId, skewed.videoId] },
    });
    const fresh = await chdb.store.client.query({
      query: `SELECT count() AS n FROM ${chdb.store.database}.views_v1 WHERE video_id IN ({videos:Array(String)})`,
      query_params: { videos: [guarded.videoId, skewed.videoId] },
      format: 'JSONEachRow',
    });
    expect(await fresh.json()).toEqual([{ n: '0' }]);
    const after = [
      await results(guarded.id),
      await results(skewed.id),
      await results(guarded.id, '?synthetic=all'),
    ];
    expect(after).toEqual(before);
    expect(after[0]?.arms.map((arm) => arm.viewers)).toEqual([VIEWERS_PER_ARM, VIEWERS_PER_ARM]);
  });
});
