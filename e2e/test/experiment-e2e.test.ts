/**
 * A ladder A/B experiment end to end, in services mode (one process per service, beacons through
 * Kafka into chdb, media behind nginx): a short clip is uploaded and transcoded, a derived ladder
 * without the clip's lowest rung is defined (no second encode), an experiment of the default ladder
 * (control) against it starts through the API, and a live-mode simulated audience plays through the
 * real playback API, origin and collector. Then, as a user would see it:
 * - the same viewer asked twice gets the same arm, and it is the arm its beacons carry;
 * - the split passes a sample-ratio check (χ² by hand against the table's critical value);
 * - ClickHouse (`POST /api/v1/sql`) has the arm on the SDK's beacons and on the origin's CMCD beacons;
 * - the results route shows both arms with viewers, and so does the CLI's table of them;
 * - the treatment arm's token cannot fetch a segment of the rung its ladder drops (403), control's can.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import type { Experiment, ExperimentResults } from '@streamloop/core/experiments';
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';
import { eventually, requireService } from '@streamloop/core/testing';
import type { Audience } from '@streamloop/playback-model/audience';
import { createCollectorClient } from '@streamloop/simulator/collector-client';
import { type LiveAudienceResult, runLiveAudience } from '@streamloop/simulator/live/live-audience';
import { liveSessions } from '@streamloop/simulator/live/live-mode';
import { runExperimentsCommand } from '@streamloop/stack/experiments-command';
import { type ServicesMode, startServicesMode } from '@streamloop/stack/services-mode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClip } from './media.js';
import { processEnv, realServiceEnv, SHARED_SECRETS } from './processes.js';
import { tusUpload, waitUntilReady } from './upload.js';

const VIEWERS = 48;
const SEED = 12;
// χ² with one degree of freedom exceeds 10.828 with probability 0.001 (any χ² table, e.g. NIST/SEMATECH
// e-Handbook 1.3.6.7.4): below it, the split is within SRM bounds at the p > 0.001.
const CHI_SQUARE_1DF_P001 = 10.828;
const apiKey = SHARED_SECRETS.STREAMLOOP_API_KEY;
const auth = { authorization: `Bearer ${apiKey}` };
const json = { ...auth, 'content-type': 'application/json' };

let stack: ServicesMode;
let base: string;
let videoId: string;
let experiment: Experiment;
let run: LiveAudienceResult;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamloop-experiment-e2e-'));

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: body === undefined ? auth : json,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** What the SDK asks for a simulated viewer: the playback API with its viewerId. */
const playbackFor = (viewerId: string): Promise<PlaybackResponse> =>
  call('GET', `/api/v1/videos/${videoId}/playback?synthetic=1&viewerId=${encodeURIComponent(viewerId)}`);

const sql = <T>(query: string, params: Record<string, string>): Promise<T[]> =>
  call('POST', '/api/v1/sql', { query, format: 'json', params });

/** `STREAM-INF` variant URIs of a master playlist (the answer's path), absolute. */
async function variantUris(manifestPath: string): Promise<URL[]> {
  const manifestUrl = new URL(manifestPath, base);
  const text = await (await fetch(manifestUrl)).text();
  const lines = text.split('\n').map((line) => line.trim());
  return lines.flatMap((line, i) =>
    line.startsWith('#EXT-X-STREAM-INF:') && lines[i + 1] ? [new URL(lines[i + 1]!, manifestUrl)] : [],
  );
}

beforeAll(async () => {
  const config = loadConfig(process.env);
  requireService('Kafka', 'KAFKA_BROKERS', config.kafka);
  requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
  requireService('PostgreSQL', 'DATABASE_URL', config.databaseUrl);
  requireService('Redis', 'REDIS_URL', config.redisUrl);
  const clip = path.join(workDir, 'clip-360p-6s.mp4');
  [stack] = await Promise.all([
    startServicesMode({
      env: { ...processEnv(), ...realServiceEnv() },
      stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'streamloop-services-')),
    }),
    // A tone of its own: this run's upload is a new video, never a same-content video an earlier run
    // left in the (shared) catalog with its media in another run's object store.
    generateClip(clip, {
      seconds: 6,
      width: 640,
      height: 360,
      bitrate: '1M',
      toneHz: 300 + Math.floor(Math.random() * 600),
    }),
  ]);
  base = stack.baseUrl;
  ({ videoId } = await tusUpload(clip, {
    endpoint: `${base}/uploads/`,
    apiKey,
    chunks: 1,
    title: 'experiment e2e',
  }));
  await waitUntilReady(base, apiKey, videoId);
  // PostgreSQL outlives the run, and the same generated clip may be the same video again: an
  // experiment a killed earlier run left running on it would refuse ours (409, overlapping scope).
  const { experiments: running } = await call<{ experiments: Experiment[] }>(
    'GET',
    '/api/v1/experiments?status=running',
  );
  for (const stale of running.filter((e) => e.scope.videoIds?.includes(videoId)))
    await call('POST', `/api/v1/experiments/${stale.id}/stop`, {
      reason: 'left running by an earlier e2e run',
    });

  // The clip's default ladder has a 234p and a 360p rung; the treatment serves 360p only.
  const suffix = Date.now().toString(36);
  await call('POST', '/api/v1/ladders', {
    id: `e2e-no-low-${suffix}`,
    derivedFrom: { ladderId: 'default' },
    filter: { minHeight: 360 },
  });
  experiment = await call<Experiment>('POST', '/api/v1/experiments', {
    name: `e2e drop the lowest rung ${suffix}`,
    hypothesis: 'dropping 234p costs no QoE on LTE',
    scope: { videoIds: [videoId] },
    arms: [
      { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
      { name: 'nolow', ladderId: `e2e-no-low-${suffix}`, trafficPercent: 50 },
    ],
    primaryMetric: 'bits_per_viewer_hour',
    guardrails: [{ metric: 'rebuffer_ratio', marginPercent: 20 }],
    minimumViewersPerArm: 100,
  });
  await call('POST', `/api/v1/experiments/${experiment.id}/start`);
  // Delivery reads running experiments every few seconds: wait until it assigns.
  await eventually(
    'delivery to assign an arm',
    async () => (await playbackFor('probe-viewer')).variant ?? undefined,
    { timeoutMs: 30_000, intervalMs: 500 },
  );

  const audience: Audience = {
    viewers: VIEWERS,
    titles: ['clip'],
    popularity: { zipfExponent: 1 },
    cohorts: [
      {
        name: 'lte-laptops',
        share: 1,
        network: { class: 'lte' },
        devices: [{ name: 'laptop', share: 1, viewport: { width: 640, height: 360 } }],
        sessionsPerViewer: { min: 1, max: 1 },
        watch: { completionShare: 1, abandonHazardPerMin: 0 },
      },
    ],
  };
  const sink = createCollectorClient({ target: base });
  run = await runLiveAudience({
    target: base,
    apiKey,
    sessions: liveSessions({ audience, traces: {} }, SEED, () => videoId),
    concurrency: VIEWERS,
    deliverUnload: (beacons) => sink.write(beacons),
    maxSessionMs: 60_000,
  });
  await sink.close();
}, 240_000);

afterAll(async () => {
  if (experiment)
    await call('POST', `/api/v1/experiments/${experiment.id}/stop`, { reason: 'e2e run over' }).catch(
      () => {},
    );
  await stack?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('a ladder experiment with two arms on the real path', () => {
  const armOf = (variant: string | null | undefined): string | undefined =>
    variant?.startsWith(`${experiment.id}.`) ? variant.slice(experiment.id.length + 1) : undefined;

  it('every simulated viewer played, and asking again gives each the same arm', async () => {
    expect(run.results.filter((session) => session.endReason === 'failed')).toEqual([]);
    const viewers = [...new Set(run.results.map((session) => session.viewerId))];
    expect(viewers).toHaveLength(VIEWERS);
    for (const viewerId of viewers) {
      const [first, second] = [await playbackFor(viewerId), await playbackFor(viewerId)];
      expect(armOf(first.variant), viewerId).toMatch(/^(control|nolow)$/);
      expect(second.variant).toBe(first.variant);
    }
  });

  it("each viewer's SDK beacons carry its arm, and the split is within SRM bounds", async () => {
    const rows = await eventually(
      'every viewer on a beacon in ClickHouse',
      async () => {
        const found = await sql<{ viewer_id: string; variants: string[]; synthetic: number }>(
          `SELECT viewer_id, groupUniqArray(ifNull(variant, '')) AS variants, min(toUInt8(ifNull(synthetic, false))) AS synthetic
           FROM beacons_v1 WHERE video_id = {videoId:String} AND source = 'sdk' AND viewer_id != 'probe-viewer'
           GROUP BY viewer_id`,
          { videoId },
        );
        return found.length >= VIEWERS ? found : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 1000 },
    );
    const counts = { control: 0, nolow: 0 };
    for (const row of rows) {
      expect(row.variants, row.viewer_id).toHaveLength(1);
      const arm = armOf(row.variants[0]);
      expect(arm, row.viewer_id).toMatch(/^(control|nolow)$/);
      expect(row.variants[0]).toBe((await playbackFor(row.viewer_id)).variant);
      expect(Number(row.synthetic)).toBe(1);
      counts[arm as keyof typeof counts] += 1;
    }
    // 50/50: χ² = Σ (observed − expected)² / expected over the two arms.
    const expected = rows.length / 2;
    const chiSquare = ((counts.control - expected) ** 2 + (counts.nolow - expected) ** 2) / expected;
    expect(counts.control).toBeGreaterThan(0);
    expect(counts.nolow).toBeGreaterThan(0);
    expect(chiSquare).toBeLessThan(CHI_SQUARE_1DF_P001);
  });

  it("the origin's CMCD beacons carry the arm of the token they were fetched with", async () => {
    const rows = await eventually(
      'CMCD beacons of both arms in ClickHouse',
      async () => {
        const found = await sql<{ variant: string | null; beacons: string; synthetic: number }>(
          `SELECT variant, count() AS beacons, min(toUInt8(ifNull(synthetic, false))) AS synthetic
           FROM beacons_v1 WHERE video_id = {videoId:String} AND source = 'cmcd'
           GROUP BY variant ORDER BY variant`,
          { videoId },
        );
        return found.filter((row) => armOf(row.variant) !== undefined).length === 2 ? found : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 1000 },
    );
    expect(rows.map((row) => row.variant)).toEqual([`${experiment.id}.control`, `${experiment.id}.nolow`]);
    for (const row of rows) expect(Number(row.synthetic)).toBe(1);
  });

  it('the results route shows both arms with their simulated viewers', async () => {
    const results = await eventually(
      'results with viewers in both arms',
      async () => {
        const answer = await call<ExperimentResults>(
          'GET',
          `/api/v1/experiments/${experiment.id}/results?synthetic=synthetic`,
        );
        return answer.arms.every((arm) => arm.viewers > 0) ? answer : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    expect(results.arms.map((arm) => arm.name)).toEqual(['control', 'nolow']);
    expect(results.arms.reduce((sum, arm) => sum + arm.viewers, 0)).toBe(VIEWERS);
    expect(results.unknownArmViews).toBe(0);
    // The route's own SRM check (the by-hand χ² above is the oracle): it counts the viewers delivery
    // exposed, which include this test's own playback calls; beside them, the viewers seen in beacons.
    expect(results.sampleRatioMismatch?.beaconViewers).toEqual(results.arms.map((arm) => arm.viewers));
    expect(results.sampleRatioMismatch?.flagged).toBe(false);
    // The CLI's table of the same results: one row per arm with its viewers.
    const table = await runExperimentsCommand(['results', experiment.id, '--synthetic', 'synthetic'], {
      env: { STREAMLOOP_URL: base, STREAMLOOP_API_KEY: apiKey },
      fetch,
      readFile: async () => '',
    });
    for (const arm of results.arms)
      expect(table).toMatch(
        new RegExp(`\\n${arm.name}${arm.control ? ' \\(control\\)' : ''}\\s+50%\\s+${arm.viewers}\\s`),
      );
    expect(table).toMatch(/sample ratio (ok|MISMATCH)/);
    // Real viewers only (the default): none, since every one of these was simulated.
    const real = await call<ExperimentResults>('GET', `/api/v1/experiments/${experiment.id}/results`);
    expect(real.arms.map((arm) => arm.viewers)).toEqual([0, 0]);
  });

  it("the treatment's token cannot fetch a segment of the rung its ladder drops; control's can", async () => {
    const viewers = run.results.map((session) => session.viewerId);
    const answers = await Promise.all(viewers.map(playbackFor));
    const control = answers.find((answer) => armOf(answer.variant) === 'control')!;
    const treatment = answers.find((answer) => armOf(answer.variant) === 'nolow')!;
    const controlRungs = await variantUris(control.manifestUrl);
    const treatmentRungs = await variantUris(treatment.manifestUrl);
    expect(controlRungs.length).toBe(treatmentRungs.length + 1);
    const folderOf = (url: URL): string => url.pathname.split('/').slice(0, -1).join('/');
    const dropped = controlRungs.find((url) => !treatmentRungs.some((t) => folderOf(t) === folderOf(url)))!;
    const media = await (await fetch(dropped)).text();
    const segment = media.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#'))!;
    const segmentUrl = new URL(segment.trim(), dropped);
    expect((await fetch(segmentUrl)).status).toBe(200);
    const withTreatmentToken = new URL(segmentUrl);
    withTreatmentToken.searchParams.set(
      'token',
      new URL(treatment.manifestUrl, base).searchParams.get('token')!,
    );
    expect(withTreatmentToken.search).not.toBe(segmentUrl.search);
    expect((await fetch(withTreatmentToken)).status).toBe(403);
  });
});
