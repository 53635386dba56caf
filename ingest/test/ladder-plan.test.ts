/**
 * `GET /api/v1/videos/:id/ladder-plan`: a per-title plan from the stored content probe and the
 * title's audience, beside the video's current ladder; clear refusals for a video that is not ready
 * or has no probe, and for constraints no ladder can meet.
 *
 * The probe is written here as transcode writes it (its real measurement is tested in transcode's
 * per-title tests): a low-complexity title whose quality stops rising at 1080p 1.6 Mbit/s.
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { FLEET_ENTITY, type TitleFeatures } from '@streamloop/core/features';
import { contentProbeKey } from '@streamloop/core/object-layout';
import type { TranscodeJob } from '@streamloop/core/schemas/job';
import type { LadderPlanResponse } from '@streamloop/core/schemas/ladder-plan';
import {
  eventually,
  makeContentProbe,
  makeLadderRecord,
  makePackagedRendition,
  uniqueName,
} from '@streamloop/core/testing';
import { publishFeatureSet } from '@streamloop/feature-store/feature-sets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { API_KEY, callJson, recordJobs } from './helpers.js';

const probeOf = (videoId: string) => makeContentProbe(videoId);

/** The current ladder: 360p, 720p and 1080p at 0.8, 2.5 and 5 Mbit/s measured, 96 kbit/s audio. */
const CURRENT = makeLadderRecord({
  renditions: [
    makePackagedRendition({ name: '360p', width: 640, height: 360, averageBitrate: 800_000 }),
    makePackagedRendition({ name: '720p', width: 1280, height: 720, averageBitrate: 2_500_000 }),
    makePackagedRendition({ name: '1080p', width: 1920, height: 1080, averageBitrate: 5_000_000 }),
  ],
});

const titleRow = (videoId: string, throughputKbps: TitleFeatures['throughputKbps']): TitleFeatures => ({
  videoId,
  popularity: { h1: 0, h24: 0, d7: throughputKbps.samples, decayed: 1 },
  completionRate: 0.5,
  coWatch: [],
  qoe: { views: throughputKbps.samples, rebufferRatio: 0, startFailureRate: 0 },
  rungShare: [{ height: 360, bitrateKbps: 896, share: 1 }],
  throughputKbps,
});

describe('ladder plan of a video', () => {
  let ingest: EmbeddedIngest;
  const get = (route: string) => callJson(ingest.baseUrl, API_KEY, 'GET', route);
  const plan = async (videoId: string, query = '') => {
    const answer = await get(`/api/v1/videos/${videoId}/ladder-plan${query}`);
    return answer as unknown as {
      status: number;
      body: LadderPlanResponse & { error?: { code: string; message: string } };
    };
  };
  const readyVideo = async (withProbe = true) => {
    const video = await insertVideo(ingest.catalog, {
      title: 'slides',
      status: 'ready',
      sourceKey: 'sources/x',
      ladder: CURRENT,
    });
    if (withProbe) {
      await ingest.objectStore.put(contentProbeKey(video.id), Buffer.from(JSON.stringify(probeOf(video.id))));
    }
    return video.id;
  };
  let mobileTitle: string;
  let fewViewsTitle: string;

  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
    mobileTitle = await readyVideo();
    fewViewsTitle = await readyVideo();
  });
  afterAll(async () => ingest?.teardown());

  it('plans a content-only ladder on the reference audience while no features are published', async () => {
    const { status, body } = await plan(mobileTitle);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.audience).toMatchObject({ source: 'reference', featureVersion: null, samples: 0 });
    // The hull worked out above, and nothing else on it.
    expect(body.points.filter((p) => p.onHull).map((p) => [p.height, p.bitrateKbps])).toEqual([
      [360, 100],
      [1080, 800],
      [1080, 1600],
    ]);
    const top = body.proposed.rungs.at(-1)!;
    // Quality stops rising at 1.6 Mbit/s, where the current ladder spends 5 Mbit/s at the top.
    expect(top.bitrateKbps).toBeLessThanOrEqual(1600);
    expect(body.current.rungs.map((r) => r.bitrateKbps)).toEqual([800, 2500, 5000]);
    // A cellular rung: ≤ 192 kbit/s with the 96 kbit/s audio.
    expect(body.proposed.rungs[0]!.bitrateKbps + 96).toBeLessThanOrEqual(192);
    // Fewer bits for more quality: at the reference p25 (3 Mbit/s) the current ladder plays only its
    // 360p (720p needs (2500 + 96) × 1.2 = 3115 kbit/s), while a 1080p rung of ≤ 1.6 Mbit/s plays.
    expect(body.comparison.bitsRatio).toBeLessThan(1);
    expect(body.comparison.qualityGainDb).toBeGreaterThan(0);
    expect(body.proposed.rungs.reduce((sum, r) => sum + r.predictedWatchShare, 0)).toBeCloseTo(1, 9);
    expect(body.probe).toMatchObject({ settings: { preset: 'veryfast' }, cost: { cpuSeconds: 12.5 } });
  });

  describe('with title features published', () => {
    beforeAll(async () => {
      await publishFeatureSet(
        ingest.featureStore,
        'title',
        [
          // A mobile-heavy audience: nobody above 500 kbit/s.
          titleRow(mobileTitle, { samples: 50, p10: 250, p25: 300, p50: 400, p75: 450, p90: 500 }),
          titleRow(fewViewsTitle, { samples: 5, p10: 250, p25: 300, p50: 400, p75: 450, p90: 500 }),
          titleRow(FLEET_ENTITY, {
            samples: 1_000,
            p10: 2_000,
            p25: 4_000,
            p50: 8_000,
            p75: 15_000,
            p90: 30_000,
          }),
        ],
        { newestSourceAt: null },
      );
    });

    it("plans for the title's own audience: no rung above what its fastest viewers can fetch", async () => {
      const { status, body } = await plan(mobileTitle);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.audience).toMatchObject({
        source: 'title',
        featureVersion: 1,
        samples: 50,
        throughputKbps: { p10: 250, p90: 500 },
        rungShare: [{ height: 360, bitrateKbps: 896, share: 1 }],
      });
      // A rung plays when (video + 96 audio) × 1.2 < throughput: above 500 kbit/s nobody, so every
      // rung but the lowest (kept for the cellular floor) stays under 500 / 1.2 − 96 ≈ 320.7.
      for (const rung of body.proposed.rungs) expect(rung.bitrateKbps).toBeLessThan(320.7);
      expect(body.comparison.bitsRatio).toBeLessThan(0.5);
    });

    it("falls back to the fleet's audience for a title with too few views", async () => {
      const { body } = await plan(fewViewsTitle);
      expect(body.audience).toMatchObject({
        source: 'fleet',
        samples: 1_000,
        throughputKbps: { p50: 8_000 },
      });
      // The broadband fleet gets the top the content needs: 1080p, at most 1.6 Mbit/s.
      expect(body.proposed.rungs.at(-1)).toMatchObject({ height: 1080 });
    });
  });

  it('answers 409 for a video still processing, naming its status', async () => {
    const video = await insertVideo(ingest.catalog, { title: 'busy', status: 'processing' });
    const { status, body } = await plan(video.id);
    expect(status).toBe(409);
    expect(body.error).toMatchObject({
      code: 'ERR_CONFLICT',
      message: expect.stringMatching(/is processing/),
    });
  });

  it('answers 409 for a ready video without a content probe, naming the fix', async () => {
    const { status, body } = await plan(await readyVideo(false));
    expect(status).toBe(409);
    expect(body.error?.message).toMatch(/no content probe.*TRANSCODE_CONTENT_PROBE/);
  });

  it('answers 400 for constraints no ladder can meet, naming the constraint', async () => {
    const inverted = await plan(mobileTitle, '?minBitrateKbps=5000&maxBitrateKbps=1000');
    expect(inverted.status).toBe(400);
    expect(inverted.body.error).toMatchObject({
      code: 'ERR_VALIDATION',
      message: expect.stringMatching(/minBitrateKbps/),
    });
    const noRungs = await plan(mobileTitle, '?maxRungs=0');
    expect(noRungs.status).toBe(400);
    expect(noRungs.body.error).toMatchObject({
      code: 'ERR_VALIDATION',
      message: expect.stringMatching(/maxRungs/),
    });
  });

  it('lists the titles whose proposal saves the most first, and why others have no plan', async () => {
    const noProbe = await readyVideo(false);
    const { status, body } = await get('/api/v1/ladder-plans?limit=2');
    expect(status, JSON.stringify(body)).toBe(200);
    // Per hour watched, the broadband fleet's title saves the most: its current ladder spends up to
    // 5 Mbit/s where 1.6 gives the same PSNR. The mobile-heavy title's current ladder already runs
    // at its lowest rung for everyone ((800 + 96) × 1.2 > 500 kbit/s: they stall on 896 kbit/s),
    // so its saving, down to rungs under 320.7 kbit/s, is smaller in bits.
    expect(body.titles.map((t: { videoId: string }) => t.videoId)).toEqual([fewViewsTitle, mobileTitle]);
    const [first, second] = body.titles;
    expect(first.savedBitsPerViewerHour).toBeGreaterThan(second.savedBitsPerViewerHour);
    expect(first).toMatchObject({
      audienceSource: 'fleet',
      currentLadder: 'default@2',
      currentTopKbps: 5000,
    });
    expect(first.proposedTopKbps).toBeLessThanOrEqual(1600);
    expect(second).toMatchObject({ audienceSource: 'title' });
    expect(second.proposedTopKbps).toBeLessThan(320.7);
    expect(second.qualityGainDb).toBeGreaterThan(first.qualityGainDb);
    expect(body.skipped).toContainEqual({
      videoId: noProbe,
      reason: expect.stringMatching(/no content probe/),
    });
    expect(body.planned).toBeGreaterThanOrEqual(2);
    expect(body.scanned).toBe(body.planned + body.skipped.length);
  });

  it('answers 404 for a video that does not exist', async () => {
    const { status } = await plan('no-such-video-0001');
    expect(status).toBe(404);
  });

  describe('propose → experiment', () => {
    let jobs: Awaited<ReturnType<typeof recordJobs>>;
    beforeAll(async () => {
      jobs = await recordJobs(ingest.eventLog, uniqueName('jobs'));
    });
    afterAll(async () => jobs?.stop());
    const propose = (videoId: string, body: unknown, key = API_KEY) =>
      callJson(ingest.baseUrl, key, 'POST', `/api/v1/videos/${videoId}/ladder-plan`, body);

    it('makes the proposal a ladder, queues its encode and starts an experiment of the two ladders', async () => {
      const videoId = await readyVideo();
      const { status, body } = await propose(videoId, { experiment: true });
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body.ladder).toEqual({ id: expect.stringMatching(/^pt-[0-9a-f]{16}$/), version: 1 });
      expect(body.encodesQueued).toBe(1);

      // The catalog ladder is the plan's proposal, rung for rung.
      const ladder = await get(`/api/v1/ladders/${body.ladder.id}`);
      expect(ladder.status).toBe(200);
      const proposed = (body.plan as LadderPlanResponse).proposed.rungs;
      expect(
        ladder.body.rungs.map((r: { height: number; videoBitrateKbps: number }) => [
          r.height,
          r.videoBitrateKbps,
        ]),
      ).toEqual(proposed.map((r) => [r.height, Math.round(r.bitrateKbps)]));

      // A running experiment on this video alone: the current ladder as control, 50/50.
      const experiment = await get(`/api/v1/experiments/${body.experiment.id}`);
      expect(experiment.body).toMatchObject({
        status: 'running',
        scope: { videoIds: [videoId] },
        primaryMetric: 'qoe_score',
        arms: [
          { name: 'current', ladderId: 'default', ladderVersion: 2, control: true, trafficPercent: 50 },
          { name: 'per-title', ladderId: body.ladder.id, ladderVersion: 1, trafficPercent: 50 },
        ],
      });

      // The proposal's encode is on its way to transcode.
      const job = await eventually('the per-title ladder job', async () => {
        const found = jobs.forKey(videoId);
        return found.length > 0 ? (JSON.parse(found[0]!.value.toString()) as TranscodeJob) : undefined;
      });
      expect(job).toMatchObject({ videoId, ladder: { id: body.ladder.id, version: 1 } });
    });

    it('refuses a body without experiment: true, naming the field', async () => {
      const { status, body } = await propose(mobileTitle, { maxRungs: 3 });
      expect(status).toBe(400);
      expect(body.error).toMatchObject({
        code: 'ERR_VALIDATION',
        message: expect.stringMatching(/experiment/),
      });
    });

    it("refuses a tenant's key: experiments are the operator's", async () => {
      const tenant = await createApiKey(ingest.catalog, {
        owner: 'tenant-b',
        scopes: ['manage', 'experiments'],
      });
      const { status, body } = await propose(mobileTitle, { experiment: true }, tenant.key);
      // Refused whatever the video: the answer tells nothing about the operator's videos.
      expect(status).toBe(403);
      expect(body.error).toMatchObject({
        code: 'ERR_FORBIDDEN',
        message: expect.stringMatching(/only the operator's keys .* open a ladder experiment/),
      });
    });
  });
});
