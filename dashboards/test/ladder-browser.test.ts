/**
 * `/dashboards/ladder` in headless Chromium against ingest's real routes (`mountIngest`): the catalog
 * in a scratch PostgreSQL database, the content probes in a local object store, jobs on the embedded
 * event log, no feature store (so every plan is on the reference audience, as on a fresh install).
 *
 * The probe is written as transcode writes it (ingest's ladder-plan test uses the same shape): a
 * low-complexity title whose quality stops rising at 1080p 1.6 Mbit/s, three resolutions, three
 * points on the hull; its current ladder spends 0.8, 2.5 and 5 Mbit/s. A second ready video has no
 * probe (encoded before probes existed): its plan is a 409 that names the fix.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { contentProbeKey } from '@streamloop/core/object-layout';
import type { LadderPlanResponse } from '@streamloop/core/schemas/ladder-plan';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  makeContentProbe,
  makeLadderRecord,
  makePackagedRendition,
} from '@streamloop/core/testing';
import { ALL_TOPICS } from '@streamloop/core/topics';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { mountIngest } from '@streamloop/ingest/mount-ingest';
import { createLocalObjectStore } from '@streamloop/object-store/local-object-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { buildHttpApp } from '@streamloop/service-kit/build-http-app';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDashboards } from '../src/mount-dashboards.js';
import { formatKbps } from '../src/ui/format.js';
import { bitsRatioText } from '../src/ui/ladder-view.js';
import { keepScreenshot } from './beacon-pipeline.js';

const API_KEY = 'dashboards-ladder-key-0123456789';
const AUTH = { authorization: `Bearer ${API_KEY}` };
const _RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));
const CHROMIUM = { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] };
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000, interval: 100 });

const logger = createLogger({ name: 'dashboards-ladder-test', level: 'silent' });

const probeOf = (videoId: string) => makeContentProbe(videoId);
const byBitrate = (points: [number, number][]) => [...points].sort(([a], [b]) => a - b);
/** The probe encodes as the page lists them: by resolution, then bitrate. */
const resolutionOrder = (points: LadderPlanResponse['points']) =>
  [...points].sort((a, b) => a.height - b.height || a.bitrateKbps - b.bitrateKbps);

/** 0.8, 2.5 and 5 Mbit/s measured, 96 kbit/s audio; 10 + 30 + 60 + 1 MB stored. */
const CURRENT = makeLadderRecord({
  renditions: [
    makePackagedRendition({
      name: '360p',
      width: 640,
      height: 360,
      averageBitrate: 800_000,
      storageBytes: 10_000_000,
    }),
    makePackagedRendition({
      name: '720p',
      width: 1280,
      height: 720,
      shortSide: 720,
      averageBitrate: 2_500_000,
      storageBytes: 30_000_000,
    }),
    makePackagedRendition({
      name: '1080p',
      width: 1920,
      height: 1080,
      shortSide: 1080,
      averageBitrate: 5_000_000,
      storageBytes: 60_000_000,
    }),
  ],
  audio: {
    codecs: 'mp4a.40.2',
    peakBitrate: 99_000,
    averageBitrate: 96_000,
    playlist: 'default/audio/index.m3u8',
    storageBytes: 1_000_000,
  },
});

describe('per-title ladder page in Chromium', () => {
  let dir: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let catalog: ReturnType<typeof createPgCatalog>;
  let objectStore: ObjectStore;
  const eventLog = createMemoryEventLog({ logger });
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const app = buildHttpApp({ logger, registry, ports: [] });
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let slides: string;
  let unprobed: string;
  const pageProblems: string[] = [];

  const planOf = async (videoId: string, query = ''): Promise<LadderPlanResponse> => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/videos/${videoId}/ladder-plan${query}`,
      headers: AUTH,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<LadderPlanResponse>();
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamloop-dashboards-ladder-'));
    scratch = await createScratchDatabase(postgresUrl(), 'dashboards_ladder');
    catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
    await catalog.migrate();
    objectStore = await createLocalObjectStore({ root: join(dir, 'objects') });
    await eventLog.ensureTopics(ALL_TOPICS);

    const ready = (title: string) =>
      insertVideo(catalog, { title, status: 'ready', sourceKey: `sources/${title}`, ladder: CURRENT });
    slides = (await ready('Quarterly slides')).id;
    unprobed = (await ready('Old encode')).id;
    await objectStore.put(contentProbeKey(slides), Buffer.from(JSON.stringify(probeOf(slides))));

    mountIngest(app, {
      catalog,
      eventLog,
      objectStore,
      dataDir: join(dir, 'data'),
      apiKey: API_KEY,
      logger,
      registry,
    });
    mountDashboards(app, {});
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });

    browser = await chromium.launch(CHROMIUM);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      // The 400, 404 and 409 answers are what some tests ask for; the page shows them in words.
      if (message.type() === 'error' && !/status of (400|404|409)/.test(message.text()))
        pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app.close();
    await eventLog.close();
    await objectStore?.close();
    await catalog?.close();
    await scratch?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * What a chart gave uPlot (`data-plot`: the merged bitrates, then one array per series, null where a
   * series has no point) as each series' [x, y] points, by the names in `data-series`.
   */
  const plotted = async (selector: string) => {
    const chart = page.locator(selector);
    const keys = ((await chart.getAttribute('data-series')) ?? '').split(',');
    const [xs = [], ...columns] = JSON.parse((await chart.getAttribute('data-plot')) || '[]') as (
      | number
      | null
    )[][];
    const points: Record<string, [number, number][]> = {};
    keys.slice(1).forEach((key, index) => {
      points[key] = xs.flatMap((x, i) => {
        const y = columns[index]?.[i];
        return x === null || y === null || y === undefined ? [] : [[x, y] as [number, number]];
      });
    });
    return { keys, points };
  };
  const status = () => page.locator('#status');
  const proposedBitrates = () =>
    page.locator('#proposed-rows tr[data-rung] td[data-column="bitrate"]').allTextContents();

  it('draws the hull per resolution with both ladders on it, lists the proposal, the bits ratio and the reference audience', async () => {
    const plan = await planOf(slides);
    // The default maxRungs leaves room for more than 3 rungs, so the re-plan below changes something.
    expect(plan.proposed.rungs.length).toBeGreaterThan(3);

    await page.goto(`${baseUrl}/dashboards/ladder?videoId=${slides}`);
    await poll(() => status().getAttribute('data-state')).toBe('need-key');
    await page.fill('#api-key', API_KEY);
    await page.click('#key-save');
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.locator('#ladder-video').inputValue()).toBe(slides);

    // The hull chart, as given to uPlot: a line per resolution through its probe encodes, the hull,
    // both ladders' rungs at their predicted quality; all of it the API's numbers.
    const hull = await plotted('#hull-chart');
    expect(hull.keys).toEqual(['bitrateKbps', '360p', '720p', '1080p', 'hull', 'current', 'proposed']);
    for (const height of [360, 720, 1080]) {
      expect(hull.points[`${height}p`]).toEqual(
        byBitrate(plan.points.filter((p) => p.height === height).map((p) => [p.bitrateKbps, p.psnrDb])),
      );
    }
    expect(hull.points.hull).toEqual(
      byBitrate(plan.points.filter((p) => p.onHull).map((p) => [p.bitrateKbps, p.psnrDb])),
    );
    expect(hull.points.hull).toHaveLength(3);
    expect(hull.points.proposed).toEqual(
      byBitrate(plan.proposed.rungs.map((r) => [r.bitrateKbps, r.predictedQuality])),
    );
    expect(hull.points.current?.map(([kbps]) => kbps)).toEqual([800, 2500, 5000]);
    expect(hull.points.current).toEqual(
      byBitrate(plan.current.rungs.map((r) => [r.bitrateKbps, r.predictedQuality])),
    );
    expect(await page.locator('#hull-chart .uplot canvas').count()).toBe(1);
    expect(await page.locator('#hull-chart').getAttribute('aria-label')).toBe(
      `PSNR against bitrate per resolution (360p, 720p, 1080p), with the convex hull (3 points), ${plan.proposed.rungs.length} proposed and 3 current rungs`,
    );
    expect(await page.locator('#hull-legend .u-legend .u-series th').allTextContents()).toEqual([
      'Bitrate',
      '360p probe encodes',
      '720p probe encodes',
      '1080p probe encodes',
      'Upper convex hull (3 points, ringed)',
      'Current rungs, default@2 (3, squares)',
      `Proposed rungs (${plan.proposed.rungs.length}, diamonds)`,
    ]);
    // The same probe encodes in words, for whoever cannot see the canvas.
    expect(await page.locator('#probe-rows tr').count()).toBe(plan.points.length);
    expect(await page.locator('#probe-rows td[data-column="hull"]').allTextContents()).toEqual(
      resolutionOrder(plan.points).map((p) => (p.onHull ? 'yes' : 'no')),
    );
    expect(await page.locator('#probe-rows td[data-column="psnr"]').allTextContents()).toEqual(
      resolutionOrder(plan.points).map((p) => p.psnrDb.toFixed(2)),
    );

    // The proposal, rung by rung, and the current ladder's.
    expect(await proposedBitrates()).toEqual(plan.proposed.rungs.map((r) => formatKbps(r.bitrateKbps)));
    expect(
      await page.locator('#current-rows tr[data-rung] td[data-column="bitrate"]').allTextContents(),
    ).toEqual(['800 kbit/s', '2.50 Mbit/s', '5.00 Mbit/s']);

    // Fewer bits than the current ladder, said as a factor and in words; the quality gained.
    expect(plan.comparison.bitsRatio).toBeLessThan(1);
    const ratio = await page.locator('#bits-ratio').textContent();
    expect(ratio).toBe(bitsRatioText(plan.comparison.bitsRatio));
    expect(ratio).toMatch(/^0\.\d\d × \(\d+ % fewer bits\)$/);
    expect(await page.locator('#quality-gain').textContent()).toMatch(/^\+\d+\.\d\d dB PSNR$/);
    expect(await page.locator('#current-storage').textContent()).toBe('101.00 MB');

    // Nothing measured: the audience is the assumed one, and the page says so plainly.
    expect(await page.locator('#reference-note').isVisible()).toBe(true);
    expect(await page.locator('#reference-note').textContent()).toBe(
      'Reference audience (assumed, nothing measured yet)',
    );
    expect(await page.locator('#audience-source').getAttribute('data-samples')).toBe('0');
    expect(await page.locator('#quantiles-rows td[data-column="p50"]').textContent()).toBe('6.00 Mbit/s');
    // The audience chart: the five quantiles as box and whiskers, each ladder's rungs in a row of its own.
    const audience = await plotted('#audience-chart');
    const q = plan.audience.throughputKbps;
    expect(audience.keys).toEqual(['bitrateKbps', 'whiskers', 'box', 'median', 'proposed', 'current']);
    const bitrates = (key: string) => audience.points[key]?.map(([kbps]) => kbps);
    expect(bitrates('whiskers')).toEqual([q.p10, q.p90]);
    expect(bitrates('box')).toEqual([q.p25, q.p75]);
    expect(bitrates('median')).toEqual([q.p50]);
    expect(bitrates('proposed')).toEqual(plan.proposed.rungs.map((r) => r.bitrateKbps).sort((a, b) => a - b));
    expect(bitrates('current')).toEqual([800, 2500, 5000]);
    expect(await page.locator('#audience-chart').getAttribute('aria-label')).toBe(
      "Viewers' throughput: p10 1.50 Mbit/s, median 6.00 Mbit/s, p90 25.00 Mbit/s, with the rungs' bitrates",
    );

    await keepScreenshot(page, 'dashboards-ladder');
    expect(pageProblems).toEqual([]);
  });

  it('shows why impossible constraints cannot be planned beside the form, keeping the plan on screen', async () => {
    const before = await proposedBitrates();
    await page.fill('#min-bitrate', '5000');
    await page.fill('#max-bitrate', '1000');
    await page.click('#replan');
    await poll(() => page.locator('#constraints-error').isVisible()).toBe(true);
    expect(await page.locator('#constraints-error').textContent()).toMatch(
      /^These constraints cannot be planned: .*minBitrateKbps/,
    );
    expect(await status().getAttribute('data-state')).toBe('error');
    expect(await proposedBitrates()).toEqual(before);
    expect(pageProblems).toEqual([]);
  });

  it('re-plans with at most 3 rungs, and keeps the constraints in the page URL', async () => {
    await page.fill('#min-bitrate', '');
    await page.fill('#max-bitrate', '');
    await page.fill('#max-rungs', '3');
    await page.click('#replan');
    await poll(async () => (await proposedBitrates()).length).toBeLessThanOrEqual(3);
    await poll(() => status().getAttribute('data-state')).toBe('ready');
    expect(await page.locator('#constraints-error').isVisible()).toBe(false);
    const plan = await planOf(slides, '?maxRungs=3');
    expect(await proposedBitrates()).toEqual(plan.proposed.rungs.map((r) => formatKbps(r.bitrateKbps)));
    expect((await plotted('#hull-chart')).points.proposed).toEqual(
      byBitrate(plan.proposed.rungs.map((r) => [r.bitrateKbps, r.predictedQuality])),
    );
    expect(new URL(page.url()).searchParams.get('maxRungs')).toBe('3');
    expect(await page.locator('#max-rungs').inputValue()).toBe('3');
    expect(pageProblems).toEqual([]);
  });

  it('opens the experiment of current against proposed once confirmed, and links to it', async () => {
    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await page.click('#open-experiment');
    const result = page.locator('#experiment-result');
    await poll(() => result.getAttribute('data-state')).toBe('ok');
    expect(question).toMatch(/^Encode the proposed ladder of .* open an experiment/);
    const experimentId = await result.getAttribute('data-experiment-id');
    expect(experimentId).toBeTruthy();
    expect(await result.textContent()).toContain(`Experiment ${experimentId} is running`);
    const link = page.locator('#experiment-link');
    expect(await link.textContent()).toBe(`Open experiment ${experimentId}`);
    expect(new URL((await link.getAttribute('href'))!, page.url()).href).toBe(
      `${baseUrl}/dashboards/experiment?id=${experimentId}`,
    );

    // The experiment ingest holds: running on this video, the current ladder against a 3-rung one.
    const experiment = await app.inject({
      method: 'GET',
      url: `/api/v1/experiments/${experimentId}`,
      headers: AUTH,
    });
    expect(experiment.json()).toMatchObject({
      status: 'running',
      scope: { videoIds: [slides] },
      arms: [
        { name: 'current', ladderId: 'default', control: true },
        { name: 'per-title', ladderId: expect.stringMatching(/^pt-/) },
      ],
    });
    const perTitle = experiment.json<{ arms: { ladderId: string }[] }>().arms[1]!.ladderId;
    const ladder = await app.inject({ method: 'GET', url: `/api/v1/ladders/${perTitle}`, headers: AUTH });
    expect(ladder.json<{ rungs: unknown[] }>().rungs.length).toBeLessThanOrEqual(3);
    expect(await result.textContent()).toContain(`${perTitle}@1`);
    expect(pageProblems).toEqual([]);
  });

  it("shows the API's 409 for a video without a content probe, naming the fix", async () => {
    await page.selectOption('#ladder-video', unprobed);
    const problem = page.locator('#plan-error');
    await poll(() => problem.getAttribute('data-code')).toBe('409');
    expect(await problem.isVisible()).toBe(true);
    expect(await problem.textContent()).toMatch(
      new RegExp(
        `^No ladder plan for this video: video ${unprobed} has no content probe.*TRANSCODE_CONTENT_PROBE=off`,
      ),
    );
    expect(await status().getAttribute('data-state')).toBe('error');
    expect(await page.locator('#plan').isVisible()).toBe(false);
    expect(await page.locator('#open-experiment').isVisible()).toBe(false);
    expect(new URL(page.url()).searchParams.get('videoId')).toBe(unprobed);
    expect(pageProblems).toEqual([]);
  });

  it('says a video that does not exist was not found', async () => {
    await page.goto(`${baseUrl}/dashboards/ladder?videoId=no-such-video-0001`);
    const problem = page.locator('#plan-error');
    await poll(() => problem.getAttribute('data-code')).toBe('404');
    expect(await problem.textContent()).toMatch(/^Video not found: /);
    expect(await page.locator('#plan').isVisible()).toBe(false);
    expect(pageProblems).toEqual([]);
  });
});
