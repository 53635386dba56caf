/**
 * `/dashboards/alerts` in headless Chromium against analytics' real alert routes on a scratch
 * PostgreSQL catalog, the rules checked by analytics' own alert job (`runAlertChecks`, no webhook)
 * over beacons that go through the embedded event log and the analytics consumer into chdb. Keys:
 * the operator's (every scope) and a scoped one from the catalog with analytics-read only.
 *
 * Beacons, 1 min ago, real viewers, one video: 5 plays. 4 reach their first frame; 1 fails with a
 * fatal error before it → video start failures 1 / 5 = 20.00 %. Each started view plays 9,000 ms and
 * one also stalls 1,000 ms → rebuffer ratio 1,000 / (4 × 9,000 + 1,000) = 1,000 / 37,000 = 0.02703
 * → 2.70 %.
 * Rules, created through the API before the check:
 * - FLEET "Start failures (fleet)": start failure % above 10, every video, 5 plays at least:
 *   20 > 10 on 5 plays → fires (one event, webhook not configured);
 * - REBUFFER "Rebuffering on the clip": rebuffer ratio above 0.05 (5.00 %) on the video, 5 plays at
 *   least: 0.027 ≤ 0.05 → stays OK, no event.
 */
import { runAlertChecks } from '@streamloop/analytics/alerts/alert-job';
import { registerAlertRoutes } from '@streamloop/analytics/alerts/alert-routes';
import { getOverview } from '@streamloop/analytics/qoe-queries';
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import {
  ALERT_METRICS,
  type AlertEvent,
  type AlertRule,
  type CreateAlertRuleBody,
} from '@streamloop/core/schemas/alerts';
import type { Beacon } from '@streamloop/core/schemas/beacon';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { createApiKeyAuth } from '@streamloop/service-kit/api-key';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDashboards } from '../src/mount-dashboards.js';
import {
  type BeaconPipeline,
  CHROMIUM,
  keepScreenshot,
  MINUTE_MS,
  openBeaconPipeline,
  pageProblemsOf,
  poll,
  viewBeacons,
} from './beacon-pipeline.js';

const API_KEY = 'dashboards-alerts-key-0123456789';
const AUTH = { authorization: `Bearer ${API_KEY}` };

const logger = createLogger({ name: 'dashboards-alerts-test', level: 'silent' });
const VIDEO_ID = uniqueName('alerted');
/** The browser reads times in UTC, US English; the expectations are written the same way. */
const LOCALE = 'en-US';
const TIME_ZONE = 'UTC';
const localTime = (at: string | number) => new Date(at).toLocaleString(LOCALE, { timeZone: TIME_ZONE });

const FLEET: CreateAlertRuleBody = {
  name: 'Start failures (fleet)',
  metric: 'videoStartFailurePercent',
  threshold: 10,
  windowMinutes: 15,
  minPlays: 5,
  cooldownMinutes: 30,
};
const REBUFFER: CreateAlertRuleBody = {
  name: 'Rebuffering on the clip',
  metric: 'rebufferRatio',
  videoId: VIDEO_ID,
  threshold: 0.05,
  windowMinutes: 15,
  minPlays: 5,
  cooldownMinutes: 30,
};

/** One view's beacons: to its first frame and 9 s of play (a stall when asked), or a fatal error before it. */
const beaconsOfView = (viewId: string, outcome: 'plays' | 'stalls' | 'fails'): Beacon[] =>
  viewBeacons({
    videoId: VIDEO_ID,
    viewId,
    ...(outcome === 'fails'
      ? { startupTimeMs: 'fails' }
      : { startupTimeMs: 600, playMs: 9_000, ...(outcome === 'stalls' ? { stallMs: 1_000 } : {}) }),
  });

describe('alerts page in Chromium', () => {
  let pipeline: BeaconPipeline | undefined;
  let store: AnalyticsStore;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let catalog: ReturnType<typeof createPgCatalog>;
  const app = buildHttpApp({
    logger,
    registry: createMetricsRegistry({ collectProcessMetrics: false }),
    ports: [],
  });
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  /** A scoped key that may read the alerts but not change them. */
  let readOnlyKey: string;
  let fleetRule: AlertRule;
  let rebufferRule: AlertRule;
  let checkedAtMs: number;
  let pageProblems: string[] = [];

  const createRule = async (body: CreateAlertRuleBody) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/alerts/rules',
      headers: AUTH,
      payload: body,
    });
    expect(res.statusCode).toBe(201);
    return res.json<AlertRule>();
  };
  const rulesInApi = async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/alerts/rules', headers: AUTH });
    return res.json<{ rules: AlertRule[] }>().rules;
  };
  const eventsInApi = async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/alerts/events', headers: AUTH });
    return res.json<{ events: AlertEvent[] }>().events;
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase(postgresUrl(), 'dashboards_alerts');
    catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
    await catalog.migrate();
    readOnlyKey = (await createApiKey(catalog, { owner: 'product-team', scopes: ['analytics-read'] })).key;

    pipeline = await openBeaconPipeline(logger, 'dashboards-alerts');
    store = pipeline.store;
    const beacons = [
      ...beaconsOfView('view-1', 'stalls'),
      ...beaconsOfView('view-2', 'plays'),
      ...beaconsOfView('view-3', 'plays'),
      ...beaconsOfView('view-4', 'plays'),
      ...beaconsOfView('view-5', 'fails'),
    ];
    const receivedAtMs = Date.now() - MINUTE_MS;
    await pipeline.publish(beacons, receivedAtMs);

    mountDashboards(app, {});
    registerAlertRoutes(app, { catalog, apiKey: createApiKeyAuth({ legacyKey: API_KEY, catalog }) });
    await eventually('every view in ClickHouse', async () => {
      const overview = await getOverview(store, { fromMs: Date.now() - 15 * MINUTE_MS, toMs: Date.now() });
      return overview.plays === 5 ? true : undefined;
    });
    fleetRule = await createRule(FLEET);
    rebufferRule = await createRule(REBUFFER);
    checkedAtMs = Date.now();
    const summary = await runAlertChecks({
      analyticsStore: store,
      catalog,
      webhook: undefined,
      logger,
      now: () => checkedAtMs,
    });
    // The setup the page is tested on: the fleet rule fired, the rebuffer rule did not.
    expect(summary.failed).toBe(0);
    expect(summary.events.map((event) => event.ruleId)).toEqual([fleetRule.id]);
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });

    browser = await chromium.launch(CHROMIUM);
    const context = await browser.newContext({ locale: LOCALE, timezoneId: TIME_ZONE });
    page = await context.newPage();
    pageProblems = pageProblemsOf(page, /status of 40[03]/);
  });

  afterAll(async () => {
    await browser?.close();
    await app.close();
    await pipeline?.close();
    await catalog?.close();
    await scratch?.drop();
  });

  const status = () => page.locator('#status');
  const ruleRow = (id: string) => page.locator(`#alert-rules-rows tr[data-rule-id="${id}"]`);
  const ruleCell = (id: string, column: string) => ruleRow(id).locator(`td[data-column="${column}"]`);
  const ruleRowNamed = (name: string) =>
    page.locator('#alert-rules-rows tr[data-rule-id]', {
      has: page.locator('td[data-column="name"]', { hasText: name }),
    });
  /** A cell as it reads on screen: the page breaks its long cells into lines. */
  const shown = (locator: Locator) =>
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's rendered text (line breaks included), not the DOM property
    locator.innerText();
  const eventRows = () => page.locator('#alert-events-rows tr');
  const formError = () => page.locator('#rule-form-error');
  const ruleResult = () => page.locator('#rule-result');
  // Run in the page (as text: this package's tests are typed without the DOM).
  /** The colour a custom property of the page's stylesheet (`--bad`) computes to. */
  const cssColour = (property: string) =>
    page.evaluate<string>(`(() => {
      const probe = document.createElement('span');
      probe.style.color = 'var(${property})';
      document.body.append(probe);
      const colour = getComputedStyle(probe).color;
      probe.remove();
      return colour;
    })()`);
  const colourOf = (selector: string) =>
    page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).color`);
  const fillRule = async (fields: {
    name: string;
    metric: keyof typeof ALERT_METRICS;
    threshold: string;
  }) => {
    await page.getByLabel('Name').fill(fields.name);
    await page.getByLabel('Metric').selectOption({ label: ALERT_METRICS[fields.metric].label });
    await page.getByLabel('Threshold').fill(fields.threshold);
  };

  it('shows the fleet rule FIRING in red with its reading, the other OK, and the firing event', async () => {
    await page.goto(`${baseUrl}/dashboards/alerts`);
    await poll(() => status().getAttribute('data-state')).toBe('need-key');
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await status().textContent()).toMatch(/^2 rules, 1 firing · updated /);

    const fleet = (column: string) => shown(ruleCell(fleetRule.id, column));
    expect(await fleet('name')).toBe(FLEET.name);
    expect(await fleet('condition')).toBe(
      `${ALERT_METRICS.videoStartFailurePercent.label}\nabove 10.00 %\non all videos`,
    );
    expect(await fleet('checks')).toBe('15 min window\nat least 5 plays\n30 min cool-down');
    expect(await fleet('state')).toBe(`FIRING\nsince ${localTime(checkedAtMs)}`);
    expect(await fleet('last-value')).toBe('20.00 %');
    expect(await fleet('plays')).toBe('5');
    expect(await ruleRow(fleetRule.id).getAttribute('data-state')).toBe('firing');

    const rebuffer = (column: string) => shown(ruleCell(rebufferRule.id, column));
    // A fraction, shown as the percent it is: 0.05 → 5.00 %.
    expect(await rebuffer('condition')).toBe(
      `${ALERT_METRICS.rebufferRatio.label}\nabove 5.00 %\non video ${VIDEO_ID}`,
    );
    // No state change since the rule was created.
    expect(await rebuffer('state')).toBe(`OK\nsince ${localTime(rebufferRule.stateSince)}`);
    expect(await rebuffer('last-value')).toBe('2.70 %');
    expect(await rebuffer('plays')).toBe('5');

    // Red is the page's "bad" colour, and only the firing state wears it.
    const bad = await cssColour('--bad');
    const stateCell = (id: string) => `#alert-rules-rows tr[data-rule-id="${id}"] td[data-column="state"]`;
    expect(await colourOf(stateCell(fleetRule.id))).toBe(bad);
    expect(await colourOf(stateCell(rebufferRule.id))).not.toBe(bad);

    await expect.poll(() => eventRows().count()).toBe(1);
    const event = (column: string) =>
      eventRows().first().locator(`td[data-column="${column}"]`).textContent();
    expect(await event('time')).toBe(localTime(checkedAtMs));
    expect(await event('rule')).toBe(FLEET.name);
    expect(await event('kind')).toBe('Firing');
    expect(await event('value')).toBe('20.00 %');
    expect(await event('threshold')).toBe('10.00 %');
    expect(await event('plays')).toBe('5');
    expect(await event('delivery')).toBe('Not configured (no webhook: shown here only)');
    expect(await colourOf('#alert-events-rows tr td[data-column="kind"]')).toBe(bad);

    await keepScreenshot(page, 'dashboards-alerts');
    expect(pageProblems).toEqual([]);
  });

  it("lists one rule's events when asked, keeping the rule in the page URL", async () => {
    await page.getByRole('button', { name: `Show the events of ${REBUFFER.name}` }).click();
    await poll(() => new URL(page.url()).searchParams.get('ruleId')).toBe(rebufferRule.id);
    await poll(() => eventRows().allTextContents()).toEqual([
      'No events for this rule yet: it has neither fired nor resolved.',
    ]);

    // The URL alone brings the same view back (the key is remembered for the tab).
    await page.reload();
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.getByLabel('Rule', { exact: true }).inputValue()).toBe(rebufferRule.id);
    expect(await eventRows().allTextContents()).toEqual([
      'No events for this rule yet: it has neither fired nor resolved.',
    ]);

    await page.getByLabel('Rule', { exact: true }).selectOption({ label: 'All rules' });
    await poll(() => eventRows().locator('td[data-column="rule"]').allTextContents()).toEqual([FLEET.name]);
    expect(new URL(page.url()).searchParams.has('ruleId')).toBe(false);
    expect(pageProblems).toEqual([]);
  });

  it('creates a rule from the form, and the API has it', async () => {
    await fillRule({ name: 'Slow starts', metric: 'startupTimeP95Ms', threshold: '800' });
    await page.getByLabel('Video id').fill('');
    await page.getByLabel('Window').fill('10');
    await page.getByLabel('Min plays').fill('3');
    await page.getByLabel('Cool-down').fill('0');
    await page.getByRole('button', { name: 'Create rule' }).click();

    await poll(() => ruleRowNamed('Slow starts').count()).toBe(1);
    expect(await ruleResult().getAttribute('data-state')).toBe('ok');
    expect(await ruleResult().textContent()).toBe(
      'Created "Slow starts": analytics checks it within a minute.',
    );
    const created = (await rulesInApi()).find((rule) => rule.name === 'Slow starts');
    expect(created).toMatchObject({
      metric: 'startupTimeP95Ms',
      threshold: 800,
      videoId: null,
      windowMinutes: 10,
      minPlays: 3,
      cooldownMinutes: 0,
      state: 'ok',
      createdBy: 'default',
    });
    const row = (column: string) => shown(ruleRowNamed('Slow starts').locator(`td[data-column="${column}"]`));
    expect(await row('condition')).toBe(
      `${ALERT_METRICS.startupTimeP95Ms.label}\nabove 800 ms\non all videos`,
    );
    expect(await row('checks')).toBe('10 min window\nat least 3 plays\nno cool-down');
    expect(await row('state')).toBe(`OK\nsince ${localTime(created?.stateSince ?? '')}`);
    expect(await row('last-value')).toBe('not checked yet');
    expect(await formError().isVisible()).toBe(false);
    expect(pageProblems).toEqual([]);
  });

  it("shows the API's words for an out-of-range threshold and creates nothing", async () => {
    const before = await rulesInApi();
    const tooHigh = { ...FLEET, name: 'Impossible', threshold: 150 };
    // What the API answers this body, so the page can be held to showing exactly that.
    const answer = await app.inject({
      method: 'POST',
      url: '/api/v1/alerts/rules',
      headers: AUTH,
      payload: tooHigh,
    });
    expect(answer.statusCode).toBe(400);
    const { message } = answer.json<{ error: { code: string; message: string } }>().error;
    expect(message).toContain('150');

    await fillRule({ name: 'Impossible', metric: 'videoStartFailurePercent', threshold: '150' });
    // Enter in a field submits, as from the keyboard.
    await page.getByLabel('Threshold').press('Enter');
    await poll(() => formError().isVisible()).toBe(true);
    expect(await formError().textContent()).toBe(`Not created: ${message}`);
    expect(await ruleRowNamed('Impossible').count()).toBe(0);
    expect(await page.locator('#alert-rules-rows tr[data-rule-id]').count()).toBe(before.length);
    expect((await rulesInApi()).map((rule) => rule.id)).toEqual(before.map((rule) => rule.id));
    expect(pageProblems).toEqual([]);
  });

  it('tells a person whose key may only read that creating needs the manage scope', async () => {
    const before = await rulesInApi();
    await page.fill('#api-key', readOnlyKey);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    // Reading is allowed: the rules are on screen.
    expect(await page.locator('#alert-rules-rows tr[data-rule-id]').count()).toBe(before.length);

    await fillRule({ name: 'Read only', metric: 'videoStartFailurePercent', threshold: '5' });
    await page.getByRole('button', { name: 'Create rule' }).click();
    await poll(() => formError().isVisible()).toBe(true);
    const text = await formError().textContent();
    expect(text).toMatch(/^Not created: .*lacks the 'manage' scope/);
    expect(text).toContain('needs an API key with the manage scope');
    expect(await ruleRowNamed('Read only').count()).toBe(0);
    expect((await rulesInApi()).map((rule) => rule.id)).toEqual(before.map((rule) => rule.id));

    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(pageProblems).toEqual([]);
  });

  it('deletes a rule only once confirmed, and its events go with it', async () => {
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Delete Slow starts' }).click();
    expect(await ruleRowNamed('Slow starts').count()).toBe(1);
    expect((await rulesInApi()).some((rule) => rule.name === 'Slow starts')).toBe(true);

    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await page.getByRole('button', { name: `Delete ${FLEET.name}` }).click();
    await poll(() => ruleRow(fleetRule.id).count()).toBe(0);
    expect(question).toBe(`Delete the alert rule "${FLEET.name}"? Its events are deleted with it.`);
    expect(await ruleResult().textContent()).toBe(`Deleted "${FLEET.name}" and its events.`);
    expect((await rulesInApi()).map((rule) => rule.name).sort()).toEqual(
      [REBUFFER.name, 'Slow starts'].sort(),
    );
    expect(await eventsInApi()).toEqual([]);
    expect(await eventRows().allTextContents()).toEqual([
      'No alert events yet: a rule fires once its metric is above the threshold over its window.',
    ]);
    expect(await status().textContent()).toMatch(/^2 rules, 0 firing · updated /);
    expect(pageProblems).toEqual([]);
  });
});
