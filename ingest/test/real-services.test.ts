/**
 * The same upload through the real services: tus writes into S3Proxy with @tus/s3-store, the job
 * goes to Kafka, the video row to PostgreSQL (a scratch database per run).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Catalog } from '@streamloop/catalog/catalog';
import { type Config, loadConfig } from '@streamloop/core/config';
import { eventually, uniqueName } from '@streamloop/core/testing';
import { ALL_TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { connectRealServices, type RealServices } from '@streamloop/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  type IngestApp,
  makeClip,
  recordJobs,
  silentLogger,
  startIngest,
  tusUpload,
} from './helpers.js';

const config: Config = loadConfig(process.env);
const label = `S3Proxy at ${config.s3?.endpoint ?? 'S3_ENDPOINT not set'}, Kafka at ${config.kafka?.brokers.join(',') ?? 'KAFKA_BROKERS not set'}, PostgreSQL`;

describe(`tus uploads on the real services (${label})`, () => {
  let dir: string;
  let catalog: Catalog;
  let eventLog: EventLog;
  let objectStore: ObjectStore;
  let ingest: IngestApp;
  let services: RealServices;
  const videoIds: string[] = [];

  beforeAll(async () => {
    services = await connectRealServices(config, {
      databasePrefix: 'streamloop_ingest',
      topics: ALL_TOPICS,
      logger: silentLogger,
    });
    ({ catalog, eventLog, objectStore } = services);
    dir = await mkdtemp(path.join(tmpdir(), 'streamloop-ingest-real-'));
    ingest = await startIngest({
      catalog,
      eventLog,
      objectStore,
      s3: services.s3,
      dataDir: path.join(dir, 'data'),
    });
  });

  afterAll(async () => {
    await ingest?.close();
    for (const id of videoIds) await objectStore?.deletePrefix(`sources/${id}`);
    await services?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the source straight into the bucket, the video into PostgreSQL and one job into Kafka', async () => {
    const jobs = await recordJobs(eventLog, uniqueName('ingest-test'));
    try {
      const { bytes } = await makeClip(dir);
      const outcome = await tusUpload(ingest.baseUrl, bytes, {
        metadata: { filename: 'clip.mp4', title: 'Through S3' },
        chunks: 3,
      });
      const videoId = outcome.videoId!;
      videoIds.push(videoId);
      expect(videoId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);

      const { body } = await getJson(ingest.baseUrl, `/api/v1/videos/${videoId}`);
      expect(body).toMatchObject({
        status: 'uploaded',
        title: 'Through S3',
        sourceKey: `sources/${videoId}`,
      });
      expect(await objectStore.getBuffer(`sources/${videoId}`)).toEqual(bytes);
      await eventually('the job in Kafka', () => (jobs.forKey(videoId).length > 0 ? true : undefined), {
        timeoutMs: 30_000,
      });
      expect(jobs.forKey(videoId)).toHaveLength(1);
    } finally {
      await jobs.stop();
    }
  });
});
