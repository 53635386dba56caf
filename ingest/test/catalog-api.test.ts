/**
 * The catalog API as a client sees it, on the embedded adapters (PGlite, in-process log, local
 * folder, in-memory features) and on the real services (PostgreSQL, Kafka, S3Proxy, Redis):
 * create with tags, full-text search, status filter, PATCH, idempotent DELETE that removes objects
 * and renditions, and the lifecycle events other services receive on video-events. A deleted video's
 * features are analytics' to forget: its deleted-video consumer runs beside ingest here, on the same
 * event log and feature store, as it does in a deployment.
 */
import { createDeletedVideoConsumer } from '@streamloop/analytics/features/deleted-video-consumer';
import { createOutboxRelay } from '@streamloop/catalog/outbox-relay';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { VideoEvent } from '@streamloop/core/schemas/video-event';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedIngest } from './embedded-fixture.js';
import { API_KEY, type Catalog, callJson, makeClip, recordJobs, silentLogger, tusUpload } from './helpers.js';
import { startRealIngest } from './real-fixture.js';

interface Fixture {
  baseUrl: string;
  dir: string;
  catalog: Catalog;
  eventLog: EventLog;
  objectStore: ObjectStore;
  featureStore: FeatureStore;
  teardown(): Promise<void>;
}

const fixtures: [string, () => Promise<Fixture>][] = [
  ['embedded adapters (PGlite, in-process log, local folder, memory features)', () => startEmbeddedIngest()],
  ['real services (PostgreSQL, Kafka, S3Proxy, Redis)', () => startRealIngest()],
];

const isVideoEvent = createValidator(VideoEvent);

describe.each(fixtures)('catalog API on the %s', (_label, start) => {
  let f: Fixture;
  let events: Awaited<ReturnType<typeof recordJobs>>;
  let analytics: ReturnType<typeof createDeletedVideoConsumer>;
  // Every test's titles carry this word, so searches see only this run's videos on a shared database.
  const run = uniqueName('run').replace(/[^a-z0-9]/gi, '');

  const api = (method: string, route: string, body?: unknown) =>
    callJson(f.baseUrl, API_KEY, method, route, body);
  const create = async (fields: Record<string, unknown>) => {
    const res = await api('POST', '/api/v1/videos', fields);
    expect(res.status).toBe(201);
    return res.body as { id: string; tags: string[]; status: string };
  };
  const search = async (query: string) => {
    const res = await api('GET', `/api/v1/videos?${query}`);
    expect(res.status).toBe(200);
    return (res.body.videos as { id: string }[]).map((v) => v.id);
  };
  // What the outbox relay of a running ingest does every few seconds, done now.
  const relayNow = () =>
    createOutboxRelay({
      catalog: f.catalog,
      eventLog: f.eventLog,
      logger: silentLogger,
      minAgeMs: 0,
    }).runOnce();
  const eventsFor = async (videoId: string, count: number) => {
    await relayNow();
    return eventually(
      `${count} video-events for ${videoId}`,
      () => {
        const found = events
          .forKey(videoId)
          .map((m) => JSON.parse(m.value.toString()) as Record<string, unknown>);
        return found.length >= count ? found : undefined;
      },
      { timeoutMs: 30_000 },
    );
  };

  beforeAll(async () => {
    f = await start();
    events = await recordJobs(f.eventLog, uniqueName('video-events'), TOPICS.videoEvents.name);
    analytics = createDeletedVideoConsumer({
      eventLog: f.eventLog,
      featureStore: f.featureStore,
      logger: silentLogger,
      registry: createMetricsRegistry({ collectProcessMetrics: false }),
      groupId: uniqueName('analytics-video-events'),
    });
    await analytics.start();
  });
  afterAll(async () => {
    await analytics?.stop();
    await events?.stop();
    await f?.teardown();
  });

  it('creates a video with tags and finds it by a word of its title, tags or description', async () => {
    const byTag = await create({ title: `Morning ${run}`, tags: ['surfing', ' Portugal ', 'surfing'] });
    const byDescription = await create({
      title: `Evening ${run}`,
      description: 'A long surfing session at dusk',
    });
    const other = await create({ title: `Cooking ${run}`, tags: ['pasta'] });
    expect(byTag).toMatchObject({ status: 'waiting_upload', tags: ['surfing', 'Portugal'] });

    expect(await search(`q=${run}+surfing`)).toEqual([byTag.id, byDescription.id]);
    expect(await search(`q=${run}+portugal`)).toEqual([byTag.id]);
    expect(await search(`q=${run}+pasta`)).toEqual([other.id]);
    expect(await search(`q=${run}&status=ready`)).toEqual([]);
    expect((await search(`q=${run}&status=waiting_upload`)).sort()).toEqual(
      [byTag.id, byDescription.id, other.id].sort(),
    );
  });

  it('refuses a bad status filter, an empty title and an empty PATCH with ERR_VALIDATION', async () => {
    for (const res of [
      await api('GET', '/api/v1/videos?status=done'),
      await api('POST', '/api/v1/videos', { title: '   ' }),
      await api('PATCH', '/api/v1/videos/abcdefgh12345678', {}),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([400, 'ERR_VALIDATION']);
    }
  });

  it('PATCH changes title, description, tags and policy, and search follows', async () => {
    const video = await create({ title: `Draft ${run}`, tags: ['draft'] });
    const res = await api('PATCH', `/api/v1/videos/${video.id}`, {
      title: `Final cut ${run}`,
      description: 'Now with kayaks',
      tags: ['kayak'],
      playbackPolicy: 'signed',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      title: `Final cut ${run}`,
      description: 'Now with kayaks',
      tags: ['kayak'],
      playbackPolicy: 'signed',
    });
    expect((await api('GET', `/api/v1/videos/${video.id}`)).body).toMatchObject({
      title: `Final cut ${run}`,
    });
    expect(await search(`q=${run}+draft`)).toEqual([]);
    expect(await search(`q=${run}+kayak`)).toEqual([video.id]);
    expect((await api('PATCH', '/api/v1/videos/nosuchvideo0000', { title: 'x' })).status).toBe(404);
  });

  it('DELETE removes the source and renditions, announces it once, and is idempotent', async () => {
    const video = await create({ title: `Doomed ${run}` });
    // A neighbour whose id starts with the doomed one's: a prefix delete of sources/<id> would hit it.
    const neighbourSource = `sources/${video.id}x`;
    await f.objectStore.put(`sources/${video.id}`, 'source bytes');
    await f.objectStore.put(neighbourSource, 'not mine');
    await f.objectStore.put(`media/${video.id}/master.m3u8`, '#EXTM3U');
    await f.objectStore.put(`media/${video.id}/360p/seg_000.ts`, 'segment');

    expect((await api('DELETE', `/api/v1/videos/${video.id}`)).status).toBe(204);
    expect(await f.objectStore.head(`sources/${video.id}`)).toBeNull();
    expect(await f.objectStore.head(`media/${video.id}/master.m3u8`)).toBeNull();
    expect(await f.objectStore.head(`media/${video.id}/360p/seg_000.ts`)).toBeNull();
    expect(await f.objectStore.getBuffer(neighbourSource)).toEqual(Buffer.from('not mine'));
    expect((await api('GET', `/api/v1/videos/${video.id}`)).status).toBe(404);
    expect((await api('DELETE', `/api/v1/videos/${video.id}`)).status).toBe(204);

    const [deleted, ...more] = await eventsFor(video.id, 1);
    expect(deleted).toMatchObject({ event: 'video.deleted.v1', videoId: video.id, status: null });
    expect(isVideoEvent(deleted).ok).toBe(true);
    await relayNow();
    expect(more).toEqual([]);
    await f.objectStore.delete(neighbourSource);
  });

  it("DELETE makes every per-video feature key go (analytics' reaction) and leaves other videos' keys", async () => {
    const doomed = await create({ title: `Featured ${run}` });
    const kept = await create({ title: `Kept ${run}` });
    // Every kind of per-video value the feature store holds, under the `video:<id>:` names
    // analytics writes (core/src/feature-keys.ts), spelled out here rather than taken from that list.
    const writeFeatures = async (id: string) => {
      await f.featureStore.hset(`video:${id}:features`, { plays: 3, completionRate: 0.8 });
      await f.featureStore.set(`video:${id}:ladder`, JSON.stringify({ rungs: [360, 720] }));
      await f.featureStore.hincrBy(`video:${id}:counters`, 'views', 5);
    };
    const readFeatures = async (id: string) => ({
      features: await f.featureStore.hgetall(`video:${id}:features`),
      ladder: await f.featureStore.get(`video:${id}:ladder`),
      counters: await f.featureStore.hgetall(`video:${id}:counters`),
    });
    await writeFeatures(doomed.id);
    await writeFeatures(kept.id);
    const keptBefore = await readFeatures(kept.id);

    expect((await api('DELETE', `/api/v1/videos/${doomed.id}`)).status).toBe(204);
    // What ingest's relay does within a second, done now; analytics then hears video.deleted.
    await relayNow();
    const gone = { features: {}, ladder: null, counters: {} };
    await eventually(
      `every feature key of ${doomed.id} gone`,
      async () => (JSON.stringify(await readFeatures(doomed.id)) === JSON.stringify(gone) ? true : undefined),
      { timeoutMs: 30_000 },
    );
    expect(await readFeatures(doomed.id)).toEqual(gone);
    expect(await readFeatures(kept.id)).toEqual(keptBefore);
    expect(keptBefore.counters).toEqual({ views: '5' });
    await api('DELETE', `/api/v1/videos/${kept.id}`);
  });

  it('announces video.uploaded when an upload into a created video completes', async () => {
    const video = await create({ title: `Uploaded ${run}` });
    const { bytes } = await makeClip(f.dir);
    const outcome = await tusUpload(f.baseUrl, bytes, {
      metadata: { filename: 'clip.mp4', videoId: video.id },
      chunks: 1,
    });
    expect(outcome.videoId).toBe(video.id);
    const [uploaded] = await eventsFor(video.id, 1);
    expect(uploaded).toMatchObject({ event: 'video.uploaded.v1', videoId: video.id, status: 'uploaded' });
    expect(isVideoEvent(uploaded).ok).toBe(true);
    await api('DELETE', `/api/v1/videos/${video.id}`);
  });
});
