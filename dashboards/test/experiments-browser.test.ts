/**
 * The experiment pages in headless Chromium, as an encoding engineer reads them. The APIs are
 * fixtures answering core's schemas (every answer is checked against `Experiment` /
 * `ExperimentResults` before it is sent): the real results need a catalog in PostgreSQL and an
 * audience in ClickHouse, which analytics' own tests and e2e cover; here what matters is what the page
 * makes of an answer — a rebuffer lift that is "worse, significant", a breached guardrail and the arm
 * it stopped, an SRM warning only when flagged, simulated views labelled.
 */
import { fileURLToPath } from 'node:url';
import { FormatRegistry } from '@sinclair/typebox';
import { Experiment, ExperimentResults } from '@streamloop/core/experiments';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  makeArmResult,
  makeExperimentResults,
  makeQoeRendition,
} from '@streamloop/core/testing';
import { createValidator } from '@streamloop/core/validate';
import { createApiKeyGuard } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDashboards } from '../src/mount-dashboards.js';
import { keepScreenshot } from './beacon-pipeline.js';
import { makeComparison } from './experiment-fixtures.js';

const API_KEY = 'dashboards-experiments-key-0123456789';
const _RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));
const CHROMIUM = { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] };
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000, interval: 100 });

const STOP_REASON = 'guardrail rebuffer_ratio breached: harm +12.0 % to +61.0 % exceeds the 5 % margin';

function makeExperiment(id: string, name: string): Experiment {
  return {
    id,
    name,
    hypothesis: 'Dropping the two lowest rungs saves bits without hurting rebuffering.',
    scope: { newUploads: true },
    arms: [
      {
        name: 'control',
        ladderId: 'default',
        ladderVersion: 2,
        control: true,
        trafficPercent: 50,
        buckets: { from: 0, to: 5000 },
        stopped: null,
      },
      {
        name: 'no-low-rungs',
        ladderId: 'no-low-rungs',
        ladderVersion: 1,
        control: false,
        trafficPercent: 50,
        buckets: { from: 5000, to: 10_000 },
        stopped: id === 'trim' ? { at: '2026-12-06T21:00:00.000Z', reason: STOP_REASON } : null,
      },
    ],
    primaryMetric: 'rebuffer_ratio',
    guardrails: [{ metric: 'rebuffer_ratio', marginPercent: 5 }],
    minimumViewersPerArm: 1000,
    status: 'running',
    createdBy: 'operator',
    createdAt: '2026-12-06T18:00:00.000Z',
    startedAt: '2026-12-06T18:05:00.000Z',
    stoppedAt: null,
    history: [],
  };
}

function makeResults(experiment: Experiment, synthetic: 'real' | 'synthetic' | 'all'): ExperimentResults {
  const trim = experiment.id === 'trim';
  /** The arm as defined (split, control, stopped), its views all simulated when simulated ones were asked for. */
  const armOf = (name: string, views: number) => {
    const defined = experiment.arms.find((a) => a.name === name)!;
    return makeArmResult({
      name,
      control: defined.control,
      trafficPercent: defined.trafficPercent,
      stopped: defined.stopped,
      views,
      syntheticViews: synthetic === 'real' ? 0 : views,
    });
  };
  return makeExperimentResults({
    experimentId: experiment.id,
    status: experiment.status,
    primaryMetric: experiment.primaryMetric,
    synthetic,
    from: '2026-12-06T18:05:00.000Z',
    to: '2026-12-06T22:05:00.000Z',
    egressUsdPerGb: 0.02,
    arms: [
      {
        ...armOf('control', 2400),
        viewers: 1200,
        metrics: { rebuffer_ratio: 0.01, qoe_score: 88.2, bits_per_viewer_hour: 5.4e9 },
        bitsDelivered: 3.2e12,
        egressCostUsd: 8,
      },
      {
        ...armOf('no-low-rungs', 1600),
        viewers: 800,
        metrics: { rebuffer_ratio: 0.0135, qoe_score: 87.9, bits_per_viewer_hour: 4.1e9 },
        bitsDelivered: 2.1e12,
        egressCostUsd: 5.25,
        comparisons: [
          makeComparison({}),
          makeComparison({
            metric: 'qoe_score',
            control: 88.2,
            treatment: 87.9,
            relativeLift: -0.0034,
            fixedHorizon: { lower: -0.009, upper: -0.0002, pValue: 0.04 },
            alwaysValid: { lower: -0.02, upper: 0.013, pValue: 0.62 },
            significant: false,
            verdict: 'inconclusive',
          }),
        ],
        guardrails: [
          {
            metric: 'rebuffer_ratio',
            marginPercent: 5,
            status: trim ? 'breached' : 'inconclusive',
            harmLower: 0.12,
            harmUpper: 0.61,
            reason: trim ? 'worse than control by more than the margin' : 'not enough viewers yet',
          },
        ],
        primaryMde: { increase: 0.18, decrease: -0.15 },
        rungShare: [
          makeQoeRendition({
            height: 720,
            bitrateKbps: 2800,
            views: 900,
            viewers: 700,
            playTimeMs: 6e6,
            playTimePercent: 60,
          }),
          makeQoeRendition({
            height: 480,
            bitrateKbps: 1400,
            views: 600,
            viewers: 500,
            playTimeMs: 4e6,
            playTimePercent: 40,
          }),
        ],
        storageBytes: 2_500_000_000,
        storageCostUsdPerMonth: 0.0575,
      },
    ],
    sampleRatioMismatch: {
      asOf: '2026-12-06T21:00:00.000Z',
      basis: 'beacons' as const,
      observedViewers: trim ? [1200, 800] : [1010, 990],
      expectedViewers: [1000, 1000],
      chiSquare: trim ? 80 : 0.2,
      pValue: trim ? 3.7e-19 : 0.65,
      flagged: trim,
      exposedViewers: null,
      beaconViewers: trim ? [1200, 800] : [1010, 990],
      beaconCoverage: [null, null],
      trackingMismatch: null,
    },
    primaryTimeline: [
      { at: '2026-12-06T19:05:00.000Z', arm: 'no-low-rungs', pValue: 0.9 },
      { at: '2026-12-06T20:05:00.000Z', arm: 'no-low-rungs', pValue: 0.2 },
      { at: '2026-12-06T21:05:00.000Z', arm: 'no-low-rungs', pValue: 0.0021 },
    ],
  });
}

// TypeBox's checker knows no formats until told; the API's timestamps are ISO 8601 date-times.
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (value) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value),
  );
const checkExperiment = createValidator(Experiment);
const checkResults = createValidator(ExperimentResults);
/** A fixture that drifted from core's contract would test nothing: refuse to send it. */
function conforming<T>(check: (v: unknown) => { ok: boolean }, value: T): T {
  const checked = check(value);
  if (!checked.ok) throw new Error(`fixture does not match core's schema: ${JSON.stringify(checked)}`);
  return value;
}

/** Both services answer an unknown id the same way (core's error body). */
const notFound = { error: { code: 'ERR_NOT_FOUND', message: 'no such experiment' } };

describe('experiment pages in Chromium', () => {
  const experiments = [makeExperiment('trim', 'Trim the low rungs'), makeExperiment('calm', 'Calm split')];
  const resultQueries: string[] = [];
  const app = buildHttpApp({
    logger: createLogger({ name: 'dashboards-experiments-test', level: 'silent' }),
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const pageProblems: string[] = [];

  beforeAll(async () => {
    mountDashboards(app, {});
    // Fixtures for ingest's and analytics' routes: same paths, same scopes, core's answers.
    app.get('/api/v1/experiments', { onRequest: createApiKeyGuard(API_KEY, 'experiments') }, async () => ({
      experiments: experiments.map((e) => conforming(checkExperiment, e)),
    }));
    app.get<{ Params: { id: string } }>(
      '/api/v1/experiments/:id',
      { onRequest: createApiKeyGuard(API_KEY, 'experiments') },
      async (request, reply) => {
        const found = experiments.find((e) => e.id === request.params.id);
        if (!found) return reply.code(404).send(notFound);
        return conforming(checkExperiment, found);
      },
    );
    app.get<{ Params: { id: string }; Querystring: { synthetic?: 'real' | 'synthetic' | 'all' } }>(
      '/api/v1/experiments/:id/results',
      { onRequest: createApiKeyGuard(API_KEY, 'analytics-read') },
      async (request, reply) => {
        resultQueries.push(request.url);
        const found = experiments.find((e) => e.id === request.params.id);
        if (!found) return reply.code(404).send(notFound);
        return conforming(checkResults, makeResults(found, request.query.synthetic ?? 'real'));
      },
    );
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch(CHROMIUM);
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app.close();
  });

  const status = () => page.locator('#status');
  const armCell = (row: string, arm: string) =>
    page.locator(`#arms-rows tr[data-row="${row}"] td[data-arm="${arm}"]`);
  const comparisonCell = (arm: string, metric: string, column: string) =>
    page.locator(
      `#comparisons section[data-arm="${arm}"] tr[data-metric="${metric}"] td[data-column="${column}"]`,
    );

  it('lists the experiments and opens one: both arms, a significantly worse rebuffer lift, the guardrail breached, the arm stopped, SRM flagged', async () => {
    await page.goto(`${baseUrl}/dashboards/experiments`);
    await poll(() => status().getAttribute('data-state')).toBe('need-key');
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(
      async () => `${await status().getAttribute('data-state')} ${await status().textContent()}`,
    ).toMatch(/^ready/);
    expect(await page.locator('#experiments-rows tr').count()).toBe(2);
    const trimRow = '#experiments-rows tr[data-experiment-id="trim"]';
    expect(await page.locator(`${trimRow} td[data-column="arms"]`).textContent()).toBe(
      'control (default v2, 50 %, control); no-low-rungs (no-low-rungs v1, 50 %, stopped)',
    );
    await keepScreenshot(page, 'dashboards-experiments');
    await page.click(`${trimRow} a`);

    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(new URL(page.url()).searchParams.get('id')).toBe('trim');
    expect(await page.locator('#experiment-name').textContent()).toBe('Trim the low rungs (trim)');
    expect(await page.locator('#arms-head th[data-arm]').allTextContents()).toEqual([
      'control (control)',
      'no-low-rungs',
    ]);
    expect(await armCell('views', 'control').textContent()).toBe('2,400');
    expect(await armCell('metric-rebuffer_ratio', 'no-low-rungs').textContent()).toBe('1.35 %');
    // Cost, side by side.
    expect(await armCell('metric-bits_per_viewer_hour', 'control').textContent()).toBe('5.40 Gbit/h');
    expect(await armCell('metric-bits_per_viewer_hour', 'no-low-rungs').textContent()).toBe('4.10 Gbit/h');
    expect(await armCell('egress-cost', 'control').textContent()).toBe('$8.00');
    expect(await armCell('egress-cost', 'no-low-rungs').textContent()).toBe('$5.25');
    expect(await armCell('storage', 'no-low-rungs').textContent()).toBe('2.50 GB ($0.06/month)');
    expect(await armCell('rung-share', 'no-low-rungs').textContent()).toBe('480p  40 %720p  60 %');
    expect(await armCell('rung-share', 'control').textContent()).toBe('—');

    // The arm is stopped, with when and why.
    expect(await armCell('state', 'no-low-rungs').getAttribute('data-state')).toBe('stopped');
    expect(await armCell('state', 'no-low-rungs').textContent()).toBe(
      `Stopped 2026-12-06 21:00 UTC: ${STOP_REASON} (its viewers get control)`,
    );
    expect(await armCell('state', 'control').textContent()).toBe('Serving');

    // Rebuffering: a plus that is bad news, said in words; the fixed-horizon interval labelled.
    expect(await comparisonCell('no-low-rungs', 'rebuffer_ratio', 'lift').textContent()).toBe('+35.0 %');
    expect(await comparisonCell('no-low-rungs', 'rebuffer_ratio', 'significance').textContent()).toBe(
      'Worse, significant (always-valid p = 0.0021)',
    );
    expect(await comparisonCell('no-low-rungs', 'rebuffer_ratio', 'always-valid').textContent()).toBe(
      '+12.0 % to +61.0 %',
    );
    expect(await comparisonCell('no-low-rungs', 'rebuffer_ratio', 'fixed-horizon').textContent()).toBe(
      '+20.0 % to +50.0 %, p < 0.0001 (one pre-planned look only)',
    );
    // QoE score: the fixed-horizon p of 0.04 must not read as a finding.
    expect(await comparisonCell('no-low-rungs', 'qoe_score', 'significance').textContent()).toBe(
      'Not significant: no difference shown yet (always-valid p = 0.620)',
    );

    const guardrail = page.locator(
      '#guardrails-rows tr[data-arm="no-low-rungs"][data-metric="rebuffer_ratio"]',
    );
    expect(await guardrail.getAttribute('data-status')).toBe('breached');
    expect(await guardrail.locator('td[data-column="status"]').textContent()).toBe(
      'Breached: worse than control by more than the margin',
    );

    const srm = page.locator('#srm');
    expect(await srm.isVisible()).toBe(true);
    expect(await srm.getAttribute('data-flagged')).toBe('true');
    expect(await srm.getAttribute('role')).toBe('alert');
    expect(await srm.textContent()).toContain('Sample ratio mismatch');

    const looks = page.locator('#timeline-rows tr');
    expect(await looks.count()).toBe(3);
    expect(await looks.locator('td[data-column="p-value"]').allTextContents()).toEqual([
      '0.900',
      '0.200',
      '0.0021',
    ]);
    expect(await looks.locator('td[data-column="significant"]').allTextContents()).toEqual([
      'no',
      'no',
      'yes: significant',
    ]);
    expect(await looks.locator('meter').count()).toBe(3);

    // Real viewers by default: nothing says simulated.
    expect(await page.locator('#synthetic-banner').isVisible()).toBe(false);
    await keepScreenshot(page, 'dashboards-experiment');
    expect(pageProblems).toEqual([]);
  });

  it('shows no SRM warning when the split holds, and labels simulated views under the banner', async () => {
    await page.goto(`${baseUrl}/dashboards/experiment?id=calm`);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.locator('#srm').getAttribute('data-flagged')).toBe('false');
    expect(await page.locator('#srm').textContent()).toMatch(/^Traffic split as configured/);
    expect(await armCell('state', 'no-low-rungs').textContent()).toBe('Serving');
    expect(
      await page.locator('#guardrails-rows tr[data-arm="no-low-rungs"]').getAttribute('data-status'),
    ).toBe('inconclusive');

    await page.selectOption('#scope', 'synthetic');
    await poll(() => armCell('views', 'control').textContent()).toBe('2,400 (all simulated)');
    expect(await page.locator('#synthetic-banner').isVisible()).toBe(true);
    expect(await page.locator('#synthetic-banner').textContent()).toContain('not from people');
    expect(resultQueries.at(-1)).toBe('/api/v1/experiments/calm/results?synthetic=synthetic');
    expect(new URL(page.url()).searchParams.get('synthetic')).toBe('synthetic');
    expect(pageProblems).toEqual([]);
  });

  it('says what is wrong when the page names no experiment or one that does not exist', async () => {
    await page.goto(`${baseUrl}/dashboards/experiment`);
    await poll(() => status().getAttribute('data-state')).toBe('error');
    expect(await status().textContent()).toBe('No experiment named: open one from the experiments list.');

    pageProblems.length = 0;
    await page.goto(`${baseUrl}/dashboards/experiment?id=nope`);
    await poll(() => status().getAttribute('data-state')).toBe('error');
    expect(await status().textContent()).toBe('Could not load the numbers: no such experiment');
    expect(await page.locator('#arms-rows tr').count()).toBe(0);
  });
});
