/**
 * The worker on the real services: the job from Kafka, the source from and the renditions into
 * S3Proxy, the video in PostgreSQL (a scratch database per run). Kafka gets a topic of its own so
 * the group does not replay other tests' jobs. The content probe is on, as in the service.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { insertVideo } from '@streamloop/catalog/video-repository';
import { type Config, loadConfig } from '@streamloop/core/config';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { contentProbeKey, mediaKey, mediaPrefix, sourceKey } from '@streamloop/core/object-layout';
import { ContentProbe } from '@streamloop/core/schemas/ladder-plan';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { createValidator } from '@streamloop/core/validate';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { connectRealServices, type RealServices } from '@streamloop/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranscodeWorker, type TranscodeWorker } from '../src/transcode-worker.js';
import { makeClip, makeJob, parseMaster, settledVideo, silentLogger } from './helpers.js';

const config: Config = loadConfig(process.env);
const label = `S3Proxy at ${config.s3?.endpoint ?? 'S3_ENDPOINT not set'}, Kafka at ${config.kafka?.brokers.join(',') ?? 'KAFKA_BROKERS not set'}, PostgreSQL`;

describe(`transcode worker on the real services (${label})`, () => {
  let dir: string;
  let catalog: Catalog;
  let eventLog: EventLog;
  let objectStore: ObjectStore;
  let worker: TranscodeWorker;
  let services: RealServices;
  const topic = uniqueName('transcode-jobs-test');
  const videoIds: string[] = [];

  beforeAll(async () => {
    services = await connectRealServices(config, {
      databasePrefix: 'streamloop_transcode',
      topics: [{ name: topic, partitions: 2 }],
      logger: silentLogger,
    });
    ({ catalog, eventLog, objectStore } = services);
    dir = await mkdtemp(path.join(tmpdir(), 'streamloop-transcode-real-'));
    worker = createTranscodeWorker({
      eventLog,
      objectStore,
      catalog,
      logger: silentLogger,
      registry: createMetricsRegistry({ collectProcessMetrics: false }),
      workDir: path.join(dir, 'work'),
      groupId: uniqueName('transcode-test'),
      topic,
      contentProbe: true,
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.stop();
    for (const id of videoIds) {
      await objectStore?.deletePrefix(mediaPrefix(id));
      await objectStore?.delete(sourceKey(id));
      await objectStore?.delete(contentProbeKey(id));
    }
    await services?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('encodes a job from Kafka into renditions in S3 and marks the video ready in PostgreSQL', async () => {
    const clip = await makeClip(path.join(dir, 'clip.mp4'), { seconds: 6, size: '640x360' });
    const video = await insertVideo(catalog, { title: 'real services', status: 'uploaded' });
    videoIds.push(video.id);
    const job = makeJob({ videoId: video.id });
    await objectStore.put(job.sourceKey, clip);
    await eventLog.publish(topic, [{ key: job.videoId, value: Buffer.from(JSON.stringify(job)) }]);

    const done = await settledVideo(catalog, video.id, { intervalMs: 200 });
    expect(done).toMatchObject({ status: 'ready', error: null });
    const master = await objectStore.getBuffer(mediaKey(video.id, done.ladder!.master));
    expect(parseMaster(master!.toString('utf8')).length).toBeGreaterThanOrEqual(2);
    expect(await objectStore.head(mediaKey(video.id, done.ladder!.poster))).toMatchObject({
      contentType: 'image/jpeg',
    });
  });

  it('probes the ready video and stores the rate–quality points beside its source, for its ladder plan', async () => {
    const video = await insertVideo(catalog, { title: 'probed', status: 'uploaded' });
    videoIds.push(video.id);
    const job = makeJob({ videoId: video.id });
    await objectStore.put(job.sourceKey, await makeClip(path.join(dir, 'probed.mp4'), { seconds: 6 }));
    await eventLog.publish(topic, [{ key: job.videoId, value: Buffer.from(JSON.stringify(job)) }]);
    // Ready first: the probe runs after the video is playable, never before.
    expect(await settledVideo(catalog, video.id, { intervalMs: 200 })).toMatchObject({ status: 'ready' });

    const stored = await eventually(
      'the content probe beside the source',
      () => objectStore.getBuffer(contentProbeKey(video.id)).then((body) => body ?? undefined),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    const probe = createValidator(ContentProbe)(JSON.parse(stored.toString('utf8')));
    expect(probe.ok, JSON.stringify(probe)).toBe(true);
    if (!probe.ok) return;
    expect(probe.value).toMatchObject({ videoId: video.id, source: { width: 640, height: 360 } });
    // The default ladder's heights up to the 360p source (234p and 360p), each at three CRFs.
    expect(new Set(probe.value.points.map((p) => p.height))).toEqual(new Set([234, 360]));
    expect(probe.value.points).toHaveLength(6);
    for (const point of probe.value.points) {
      expect(point.bitrateKbps).toBeGreaterThan(0);
      expect(point.psnrDb).toBeGreaterThan(25);
    }
    expect(probe.value.cost.cpuSeconds).toBeGreaterThan(0);
  });
});
