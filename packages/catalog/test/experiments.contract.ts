import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../src/catalog.js';
import {
  createExperiment,
  getExperiment,
  startExperiment,
  stopArm,
  stopExperiment,
  updateDraftExperiment,
} from '../src/experiment-repository.js';
import { createLadderVersion, seedLadders } from '../src/ladder-repository.js';
import { insertVideo } from '../src/video-repository.js';

let unique = 0;
const tag = () => `exp-test-${Date.now().toString(36)}-${++unique}`;

const definition = (scope: { videoIds?: string[]; tags?: string[]; newUploads?: boolean }) => ({
  name: 'fewer low rungs',
  hypothesis: 'dropping 234p and 360p costs nothing on 4G',
  scope,
  arms: [
    { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
    { name: 'top-three', ladderId: 'exp-top-three', trafficPercent: 50 },
  ],
  primaryMetric: 'bits_per_viewer_hour',
  guardrails: [{ metric: 'rebuffer_ratio', marginPercent: 10 }],
  minimumViewersPerArm: 1000,
});

/** Ladder experiments; part of the catalog contract (both adapters). */
export function describeExperiments(getCatalog: () => Catalog): void {
  describe('experiments', () => {
    const setUp = async () => {
      const catalog = getCatalog();
      await seedLadders(catalog, [DEFAULT_LADDER]);
      await createLadderVersion(
        catalog,
        { id: 'exp-top-three', derivedFrom: { ladderId: 'default' }, filter: { minHeight: 480 } },
        'test',
      );
      const label = tag();
      const video = await insertVideo(catalog, { title: 'clip', status: 'ready', tags: [label] });
      return { catalog, label, videoId: video.id };
    };

    it('creates a draft with ladder versions fixed, buckets tiling 10,000, and its history', async () => {
      const { catalog, label } = await setUp();
      const experiment = await createExperiment(catalog, definition({ tags: [label] }), 'key-a');
      expect(experiment).toMatchObject({
        status: 'draft',
        createdBy: 'key-a',
        startedAt: null,
        stoppedAt: null,
      });
      expect(experiment.id).toMatch(/^exp-[0-9a-f]{10}$/);
      expect(experiment.arms.map((a) => [a.name, a.ladderVersion, a.control, a.buckets])).toEqual([
        ['control', 2, true, { from: 0, to: 5000 }],
        ['top-three', 1, false, { from: 5000, to: 10_000 }],
      ]);
      expect(experiment.history.map((h) => [h.actor, h.action])).toEqual([['key-a', 'created']]);
      expect(experiment.salt).toMatch(/^[0-9a-f]{32}$/);
    });

    it.each([
      [
        'arms that do not add to 100',
        { trafficPercent: 40 },
        'trafficPercent must add up to 100 (adds up to 90)',
      ],
      ['two controls', { control: true }, 'exactly one arm must be control (found 2)'],
    ])('refuses %s, creating nothing', async (_what, change, message) => {
      const { catalog, label } = await setUp();
      const body = definition({ tags: [label] });
      const arms = [body.arms[0], { ...body.arms[1], ...change }];
      await expect(createExperiment(catalog, { ...body, arms }, 'key-a')).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
        message: expect.stringContaining(message),
      });
    });

    it('refuses an unknown ladder with 404 naming it', async () => {
      const { catalog, label } = await setUp();
      const body = definition({ tags: [label] });
      const arms = [body.arms[0], { ...body.arms[1], ladderId: 'no-such-ladder' }];
      await expect(createExperiment(catalog, { ...body, arms }, 'key-a')).rejects.toMatchObject({
        code: 'ERR_NOT_FOUND',
        message: "no ladder 'no-such-ladder'",
      });
    });

    it('runs once: starting twice, editing a running one and overlapping a running one are refused', async () => {
      const { catalog, label, videoId } = await setUp();
      const first = await createExperiment(catalog, definition({ tags: [label] }), 'key-a');
      const started = await startExperiment(catalog, first.id, 'key-b');
      expect(started.videoIds).toEqual([videoId]);
      expect(started.experiment.status).toBe('running');
      expect(started.experiment.startedAt).not.toBeNull();

      await expect(startExperiment(catalog, first.id, 'key-b')).rejects.toMatchObject({
        code: 'ERR_CONFLICT',
        message: `experiment ${first.id} is running; only a draft can be started`,
      });
      await expect(
        updateDraftExperiment(catalog, first.id, definition({ tags: [label] }), 'key-b'),
      ).rejects.toMatchObject({
        code: 'ERR_CONFLICT',
      });
      const overlapping = await createExperiment(catalog, definition({ videoIds: [videoId] }), 'key-a');
      await expect(startExperiment(catalog, overlapping.id, 'key-a')).rejects.toMatchObject({
        code: 'ERR_CONFLICT',
        message: expect.stringContaining(
          `experiment ${first.id} ('fewer low rungs') is running on the same videos (${videoId})`,
        ),
      });
      expect((await getExperiment(catalog, overlapping.id))?.status).toBe('draft');

      await stopExperiment(catalog, first.id, 'key-c');
      expect((await startExperiment(catalog, overlapping.id, 'key-a')).experiment.status).toBe('running');
      await stopExperiment(catalog, overlapping.id, 'key-a');
    });

    it('stops one treatment arm once, with the reason, and never the control arm', async () => {
      const { catalog, label } = await setUp();
      const { id } = await createExperiment(catalog, definition({ tags: [label] }), 'key-a');
      expect(await stopArm(catalog, id, 'top-three', 'guardrail', 'guardrails')).toBe(false); // a draft
      await startExperiment(catalog, id, 'key-a');
      expect(
        await stopArm(catalog, id, 'top-three', 'rebuffer_ratio +40 % beyond the 10 % margin', 'guardrails'),
      ).toBe(true);
      expect(await stopArm(catalog, id, 'top-three', 'again', 'guardrails')).toBe(false);
      await expect(stopArm(catalog, id, 'control', 'x', 'guardrails')).rejects.toMatchObject({
        code: 'ERR_CONFLICT',
      });
      const after = await getExperiment(catalog, id);
      expect(after?.arms[1]?.stopped).toMatchObject({
        reason: 'rebuffer_ratio +40 % beyond the 10 % margin',
      });
      expect(after?.history.map((h) => h.action)).toEqual(['created', 'started', 'stopped arm top-three']);
      await stopExperiment(catalog, id, 'key-a');
      await expect(stopExperiment(catalog, id, 'key-a')).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    });

    it('edits a draft, keeping its id and history', async () => {
      const { catalog, label } = await setUp();
      const { id } = await createExperiment(catalog, definition({ tags: [label] }), 'key-a');
      const body = definition({ tags: [label] });
      const edited = await updateDraftExperiment(
        catalog,
        id,
        {
          ...body,
          arms: [
            { ...body.arms[0], trafficPercent: 80 },
            { ...body.arms[1], trafficPercent: 20 },
          ],
        },
        'key-b',
      );
      expect(edited.arms.map((a) => a.buckets)).toEqual([
        { from: 0, to: 8000 },
        { from: 8000, to: 10_000 },
      ]);
      expect(edited.history.map((h) => [h.actor, h.action])).toEqual([
        ['key-a', 'created'],
        ['key-b', 'edited'],
      ]);
    });
  });
}
