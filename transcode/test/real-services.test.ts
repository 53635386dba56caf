/**
 * The worker on the real services: the job from Kafka, the source from and the renditions into
 * S3Proxy, the video in PostgreSQL (a scratch database per run). Kafka gets a topic of its own so
 * the group does not replay other tests' jobs.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { getVideo, insertVideo } from '@streamloop/catalog/video-repository';
import { type Config, loadConfig } from '@streamloop/core/config';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import { mediaKey, mediaPrefix, sourceKey } from '@streamloop/core/object-layout';
import { assertReachable, eventually, requireService, uniqueName } from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { createS3ObjectStore } from '@streamloop/object-store/s3-object-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranscodeWorker, type TranscodeWorker } from '../src/transcode-worker.js';
import { makeClip, makeJob, parseMaster, silentLogger } from './helpers.js';
import { createScratchDatabase } from '@streamloop/catalog/testing';

const config: Config = loadConfig(process.env);
const label = `S3Proxy at ${config.s3?.endpoint ?? 'S3_ENDPOINT not set'}, Kafka at ${config.kafka?.brokers.join(',') ?? 'KAFKA_BROKERS not set'}, PostgreSQL`;

describe(`transcode worker on the real services (${label})`, () => {
  let dir: string;
  let catalog: Catalog;
  let eventLog: EventLog;
  let objectStore: ObjectStore;
  let worker: TranscodeWorker;
  let dropDatabase: () => Promise<void>;
  const topic = uniqueName('transcode-jobs-test');
  const videoIds: string[] = [];

  beforeAll(async () => {
    const s3 = requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
    const kafka = requireService('Kafka', 'KAFKA_BROKERS', config.kafka);
    const databaseUrl = requireService('PostgreSQL', 'DATABASE_URL', config.databaseUrl);
    dir = await mkdtemp(path.join(tmpdir(), 'streamloop-transcode-real-'));
    const scratch = await createScratchDatabase(databaseUrl);
    dropDatabase = scratch.drop;
    catalog = createPgCatalog({ url: scratch.url, logger: silentLogger });
    await catalog.migrate();
    await assertReachable('Kafka', kafka.brokers.join(','), async () => {
      eventLog = await createKafkaEventLog({ ...kafka, connectTimeoutMs: 10_000 }, { logger: silentLogger });
    });
    await eventLog.ensureTopics([{ name: topic, partitions: 2 }]);
    await assertReachable('S3Proxy', s3.endpoint, async () => {
      objectStore = await createS3ObjectStore({ ...s3, logger: silentLogger, startupTimeoutMs: 10_000 });
    });
    worker = createTranscodeWorker({
      eventLog,
      objectStore,
      catalog,
      logger: silentLogger,
      registry: createMetricsRegistry({ collectProcessMetrics: false }),
      workDir: path.join(dir, 'work'),
      groupId: uniqueName('transcode-test'),
      topic,
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.stop();
    for (const id of videoIds) {
      await objectStore?.deletePrefix(mediaPrefix(id));
      await objectStore?.delete(sourceKey(id));
    }
    await Promise.allSettled([eventLog?.close(), catalog?.close(), objectStore?.close()]);
    await dropDatabase?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('encodes a job from Kafka into renditions in S3 and marks the video ready in PostgreSQL', async () => {
    const clip = await makeClip(path.join(dir, 'clip.mp4'), { seconds: 6, size: '640x360' });
    const video = await insertVideo(catalog, { title: 'real services', status: 'uploaded' });
    videoIds.push(video.id);
    const job = makeJob({ videoId: video.id });
    await objectStore.put(job.sourceKey, clip);
    await eventLog.publish(topic, [{ key: job.videoId, value: Buffer.from(JSON.stringify(job)) }]);

    const done = await eventually(
      'the video to be ready',
      async () => {
        const current = await getVideo(catalog, video.id);
        return current?.status === 'ready' || current?.status === 'failed' ? current : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(done).toMatchObject({ status: 'ready', error: null });
    const master = await objectStore.getBuffer(mediaKey(video.id, done.ladder!.master));
    expect(parseMaster(master!.toString('utf8')).length).toBeGreaterThanOrEqual(2);
    expect(await objectStore.head(mediaKey(video.id, done.ladder!.poster))).toMatchObject({
      contentType: 'image/jpeg',
    });
  });
});
