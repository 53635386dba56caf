/**
 * Ladder experiment arms at the playback API: a viewer keeps one arm (a sticky hash of the viewer id),
 * the split follows the configured shares, the arm travels in the token and the answer's `variant`,
 * the arm's token opens only the arm's renditions, a stopped arm's viewers get control, and a
 * stopped experiment assigns nobody.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stopArm, stopExperiment } from '@streamloop/catalog/experiment-repository';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armFor, bucketOf } from '../src/experiment-assignment.js';
import { verifyPlaybackToken } from '../src/playback-token.js';
import { startNoLowExperiment } from './experiment-fixture.js';
import {
  API_KEY,
  addVideo,
  buildDeliveryApp,
  type Fixture,
  openFixture,
  SIGNING_SECRET,
} from './fixtures.js';
import { type EncodedClip, encodeTestClip, publishTestClip } from './published-ladder.js';

describe('the sticky viewer hash', () => {
  it('gives a viewer the same bucket every time, and splits 20,000 viewers evenly and independently per salt', () => {
    expect(bucketOf('salt-a', 'viewer-1')).toBe(bucketOf('salt-a', 'viewer-1'));
    const viewers = Array.from({ length: 20_000 }, (_, i) => `viewer-${i}`);
    const lowerHalf = (salt: string) => viewers.map((v) => bucketOf(salt, v) < 5_000);
    const a = lowerHalf('salt-a');
    const b = lowerHalf('salt-b');
    const inA = a.filter(Boolean).length;
    // Binomial(20,000, ½): sd 70.7; 4 sd either side.
    expect(Math.abs(inA - 10_000)).toBeLessThan(283);
    // Independent salts: being in A's lower half says nothing about B's (a quarter in both, ±4 sd).
    const both = a.filter((x, i) => x && b[i]).length;
    expect(Math.abs(both - 5_000)).toBeLessThan(4 * Math.sqrt(20_000 * 0.25 * 0.75));
  });

  it("serves control for a stopped arm's buckets", () => {
    const arms = [
      { name: 'control', control: true, buckets: { from: 0, to: 5000 }, stopped: null },
      {
        name: 'top',
        control: false,
        buckets: { from: 5000, to: 10_000 },
        stopped: { at: 'x', reason: 'guardrail' },
      },
    ];
    const experiment = {
      arms: arms.map((a) => ({ ...a, ladderId: a.name, ladderVersion: 1, trafficPercent: 50 })),
    };
    expect(armFor(experiment, 7000).name).toBe('control');
    expect(armFor(experiment, 10).name).toBe('control');
  });
});

describe('arms at the playback API', () => {
  let fixture: Fixture;
  let app: FastifyInstance;
  let workDir: string;
  let clip: EncodedClip;
  let videoId: string;
  let experimentId: string;

  const playback = async (viewerId?: string) => {
    const query = viewerId === undefined ? '' : `?viewerId=${encodeURIComponent(viewerId)}`;
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/videos/${videoId}/playback${query}`,
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    return { status: res.statusCode, body: res.json() };
  };
  const tokenOf = (url: string) => new URL(url, 'http://origin').searchParams.get('token') ?? '';

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-assignment-'));
    clip = await encodeTestClip(workDir);
    fixture = await openFixture();
    ({ app } = await buildDeliveryApp(fixture, { experimentRefreshMs: 0 }));
    videoId = (await addVideo(fixture, { ladder: clip.record, durationMs: clip.durationMs })).id;
    await publishTestClip(fixture.objectStore, videoId, clip);
    experimentId = await startNoLowExperiment(fixture.catalog, videoId, 'no 90p');
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await fixture?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('keeps each viewer in one arm, splits 400 viewers about evenly, and puts the arm in the token', async () => {
    const arms = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const first = await playback(`viewer-${i}`);
      const again = await playback(`viewer-${i}`);
      expect(first.status).toBe(200);
      expect(again.body.variant).toBe(first.body.variant);
      arms.set(first.body.variant, (arms.get(first.body.variant) ?? 0) + 1);
      const claims = verifyPlaybackToken(tokenOf(first.body.manifestUrl), SIGNING_SECRET, new Date());
      expect(claims.kind === 'ok' && claims.claims.variant).toBe(first.body.variant);
      expect(first.body.ladderId).toBe(first.body.variant.endsWith('.top') ? 'no-low' : 'default');
    }
    expect([...arms.keys()].sort()).toEqual([`${experimentId}.control`, `${experimentId}.top`]);
    // Binomial(400, ½): sd 10; 4 sd.
    expect(Math.abs((arms.get(`${experimentId}.top`) ?? 0) - 200)).toBeLessThan(40);
  });

  it("opens only the arm's renditions: a top viewer cannot fetch 90p, a control viewer can", async () => {
    let top: string | undefined;
    let control: string | undefined;
    for (let i = 0; (top === undefined || control === undefined) && i < 100; i++) {
      const { body } = await playback(`segment-viewer-${i}`);
      if (body.variant.endsWith('.top')) top ??= body.manifestUrl;
      else control ??= body.manifestUrl;
    }
    const segment = (manifestUrl: string) =>
      app.inject({
        method: 'GET',
        url: `/media/${videoId}/default/90p/init.mp4?token=${encodeURIComponent(tokenOf(manifestUrl))}`,
      });
    expect((await segment(top as string)).statusCode).toBe(403);
    expect((await segment(control as string)).statusCode).toBe(200);
  });

  it('serves the primary ladder with no variant to a viewer who sends no id, and refuses a malformed id', async () => {
    const anonymous = await playback();
    expect([anonymous.body.variant, anonymous.body.ladderId]).toEqual([null, 'default']);
    const bad = await playback('not an id!');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ERR_VALIDATION']);
  });

  it("moves a stopped arm's viewers to control, and assigns nobody once the experiment stops", async () => {
    let topViewer = '';
    for (let i = 0; topViewer === ''; i++) {
      if ((await playback(`stop-viewer-${i}`)).body.variant.endsWith('.top')) topViewer = `stop-viewer-${i}`;
    }
    await stopArm(fixture.catalog, experimentId, 'top', 'rebuffer_ratio breached its margin', 'guardrails');
    expect((await playback(topViewer)).body).toMatchObject({
      variant: `${experimentId}.control`,
      ladderId: 'default',
    });
    await stopExperiment(fixture.catalog, experimentId, 'test');
    expect((await playback(topViewer)).body).toMatchObject({ variant: null, ladderId: 'default' });
  });
});
