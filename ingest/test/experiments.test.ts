/**
 * The experiments API for encoding engineers: create a draft, start it (every video in scope gets the
 * arms' ladders queued), stop it; each refusal a clear 4xx with its code, nothing half-created.
 */
import { createApiKey } from '@streamloop/catalog/api-key-repository';
import { createLadderVersion } from '@streamloop/catalog/ladder-repository';
import { listVideoLadders } from '@streamloop/catalog/video-ladder-repository';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { TranscodeJob } from '@streamloop/core/schemas/job';
import { eventually, makeLadderRecord, uniqueName } from '@streamloop/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { API_KEY, callJson, recordJobs } from './helpers.js';

const ROUTE = '/api/v1/experiments';

describe('experiments API', () => {
  let ingest: EmbeddedIngest;
  let jobs: Awaited<ReturnType<typeof recordJobs>>;
  const keys = { tenant: '', manageOnly: '' };
  const call = (method: string, route: string, body?: unknown, key = API_KEY) =>
    callJson(ingest.baseUrl, key, method, route, body);
  const definition = (tag: string, overrides: Record<string, unknown> = {}) => ({
    name: 'mobile-first vs default',
    scope: { tags: [tag] },
    arms: [
      { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
      { name: 'mobile', ladderId: 'mobile-first', trafficPercent: 50 },
    ],
    primaryMetric: 'bits_per_viewer_hour',
    guardrails: [{ metric: 'rebuffer_ratio', marginPercent: 10 }],
    minimumViewersPerArm: 500,
    ...overrides,
  });
  const readyVideo = async (tag: string) =>
    (
      await insertVideo(ingest.catalog, {
        title: 'clip',
        status: 'ready',
        tags: [tag],
        sourceKey: `sources/${tag}/source`,
        ladder: makeLadderRecord(),
      })
    ).id;

  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
    jobs = await recordJobs(ingest.eventLog, uniqueName('jobs'));
    const { version: _v, ...base } = DEFAULT_LADDER;
    await createLadderVersion(
      ingest.catalog,
      { ...base, id: 'mobile-first', rungs: base.rungs.slice(0, 3) },
      'test',
    );
    await createLadderVersion(
      ingest.catalog,
      { id: 'top-three', derivedFrom: { ladderId: 'default' }, filter: { minHeight: 480 } },
      'test',
    );
    keys.tenant = (await createApiKey(ingest.catalog, { owner: 'tenant-a', scopes: ['experiments'] })).key;
    keys.manageOnly = (await createApiKey(ingest.catalog, { owner: 'default', scopes: ['manage'] })).key;
  });
  afterAll(async () => {
    await jobs?.stop();
    await ingest?.teardown();
  });

  it('creates a draft, starts it with the arms’ ladders queued for every video in scope, and stops it', async () => {
    const tag = uniqueName('exp');
    const [a, b] = [await readyVideo(tag), await readyVideo(tag)];
    const created = await call('POST', ROUTE, definition(tag));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'draft',
      arms: [{ ladderVersion: 2 }, { ladderVersion: 1 }],
    });
    expect(created.body).not.toHaveProperty('salt');
    const id = created.body.id as string;

    const started = await call('POST', `${ROUTE}/${id}/start`);
    expect([started.status, started.body.videos, started.body.encodesQueued]).toEqual([200, 2, 2]);
    expect(started.body.experiment.status).toBe('running');
    for (const videoId of [a, b]) {
      expect((await listVideoLadders(ingest.catalog, videoId)).map((l) => [l.ladderId, l.status])).toEqual([
        ['mobile-first', 'queued'],
      ]);
      const job = await eventually(`the mobile-first job of ${videoId}`, async () => {
        const found = jobs.forKey(videoId);
        return found.length > 0 ? (JSON.parse(found[0]!.value.toString()) as TranscodeJob) : undefined;
      });
      expect(job.ladder).toEqual({ id: 'mobile-first', version: 1 });
    }

    const listed = await call('GET', `${ROUTE}?status=running`);
    expect(listed.body.experiments.map((e: { id: string }) => e.id)).toContain(id);
    const stopped = await call('POST', `${ROUTE}/${id}/stop`, { reason: 'enough data' });
    expect([stopped.status, stopped.body.status]).toEqual([200, 'stopped']);
    expect(
      stopped.body.history.map((h: { action: string; detail?: string }) => [h.action, h.detail ?? null]),
    ).toEqual([
      ['created', null],
      ['started', '2 videos in scope'],
      ['stopped', 'enough data'],
    ]);
  });

  it('queues nothing for a derived arm whose source is the primary ladder', async () => {
    const tag = uniqueName('exp');
    await readyVideo(tag);
    const body = definition(tag, {
      arms: [
        { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
        { name: 'top', ladderId: 'top-three', trafficPercent: 50 },
      ],
    });
    const { id } = (await call('POST', ROUTE, body)).body;
    const started = await call('POST', `${ROUTE}/${id}/start`);
    expect([started.status, started.body.encodesQueued]).toEqual([200, 0]);
    await call('POST', `${ROUTE}/${id}/stop`);
  });

  it.each([
    [
      'arms that do not add up to 100',
      {
        arms: [
          { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
          { name: 'mobile', ladderId: 'mobile-first', trafficPercent: 30 },
        ],
      },
      400,
      'ERR_VALIDATION',
      'trafficPercent must add up to 100 (adds up to 80)',
    ],
    [
      'an unknown ladder',
      {
        arms: [
          { name: 'control', ladderId: 'default', control: true, trafficPercent: 50 },
          { name: 'x', ladderId: 'nope', trafficPercent: 50 },
        ],
      },
      404,
      'ERR_NOT_FOUND',
      "no ladder 'nope'",
    ],
    ['an unknown metric', { primaryMetric: 'happiness' }, 400, 'ERR_VALIDATION', '/primaryMetric'],
    ['a misspelt field', { armz: [] }, 400, 'ERR_VALIDATION', '/armz'],
  ])('refuses %s and creates nothing', async (_what, overrides, status, code, message) => {
    const before = (await call('GET', ROUTE)).body.experiments.length;
    const res = await call('POST', ROUTE, definition(uniqueName('exp'), overrides));
    expect([res.status, res.body.error.code]).toEqual([status, code]);
    expect(res.body.error.message).toContain(message);
    expect((await call('GET', ROUTE)).body.experiments).toHaveLength(before);
  });

  it('refuses starting twice, editing a running experiment and overlapping a running one', async () => {
    const tag = uniqueName('exp');
    await readyVideo(tag);
    const { id } = (await call('POST', ROUTE, definition(tag))).body;
    expect((await call('POST', `${ROUTE}/${id}/start`)).status).toBe(200);
    const twice = await call('POST', `${ROUTE}/${id}/start`);
    expect([twice.status, twice.body.error.message]).toEqual([
      409,
      `experiment ${id} is running; only a draft can be started`,
    ]);
    const edit = await call('PATCH', `${ROUTE}/${id}`, definition(tag, { name: 'renamed' }));
    expect([edit.status, edit.body.error.code]).toEqual([409, 'ERR_CONFLICT']);
    const other = (await call('POST', ROUTE, definition(tag))).body.id;
    const overlap = await call('POST', `${ROUTE}/${other}/start`);
    expect([overlap.status, overlap.body.error.code]).toEqual([409, 'ERR_CONFLICT']);
    expect(overlap.body.error.message).toContain(
      `experiment ${id} ('mobile-first vs default') is running on the same videos`,
    );
    expect((await call('GET', `${ROUTE}/${other}`)).body.status).toBe('draft');
    await call('POST', `${ROUTE}/${id}/stop`);
  });

  it('needs the experiments scope, and an operator key to change anything', async () => {
    expect((await call('GET', ROUTE, undefined, keys.manageOnly)).status).toBe(403);
    expect((await call('GET', ROUTE, undefined, keys.tenant)).status).toBe(200);
    const tenant = await call('POST', ROUTE, definition(uniqueName('exp')), keys.tenant);
    expect([tenant.status, tenant.body.error.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await call('GET', `${ROUTE}/exp-0000000000`)).status).toBe(404);
  });
});
