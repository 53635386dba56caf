/**
 * Transcode publishes its own lifecycle events: with NO ingest process running (so no other relay),
 * a transcode process that fails a job announces `video.failed.v1` on video-events by itself — the
 * event is neither late by ingest's relay interval nor stuck while ingest is down. Real Kafka and a
 * scratch PostgreSQL database of this test's own, so no other process's relay can publish for it.
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '@streamloop/catalog/catalog';
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase } from '@streamloop/catalog/testing';
import { insertVideo, newVideoId } from '@streamloop/catalog/video-repository';
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import type { TranscodeJob } from '@streamloop/core/schemas/job';
import type { VideoEvent } from '@streamloop/core/schemas/video-event';
import { eventually, requireService, uniqueName } from '@streamloop/core/testing';
import { EVENT_NAMES, TOPICS } from '@streamloop/core/topics';
import type { EventLog, Subscription } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryOf, processEnv, realServiceEnv } from './processes.js';

const logger = createLogger({ name: 'transcode-events-test', level: 'silent' });

describe('transcode as the only process: its events still go out', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let catalog: Catalog;
  let eventLog: EventLog;
  let subscription: Subscription;
  let transcode: RunningProcess | undefined;
  const heard: VideoEvent[] = [];

  beforeAll(async () => {
    const config = loadConfig(process.env);
    const kafka = requireService('Kafka', 'KAFKA_BROKERS', config.kafka);
    requireService('S3Proxy', 'S3_ENDPOINT', config.s3);
    scratch = await createScratchDatabase(requireService('PostgreSQL', 'DATABASE_URL', config.databaseUrl));
    catalog = createPgCatalog({ url: scratch.url, logger });
    eventLog = await createKafkaEventLog({ ...kafka, clientId: uniqueName('transcode-events') }, { logger });
    await eventLog.ensureTopics([TOPICS.videoEvents, TOPICS.transcodeJobs]);
    subscription = await eventLog.subscribe({
      groupId: uniqueName('transcode-events'),
      topics: [TOPICS.videoEvents.name],
      handleBatch: async (batch) => {
        for (const m of batch.messages) heard.push(JSON.parse(m.value.toString()) as VideoEvent);
      },
    });
    transcode = await startProcess(
      entryOf('transcode'),
      processEnv({ ...realServiceEnv(), DATABASE_URL: scratch.url }),
    );
  }, 120_000);

  afterAll(async () => {
    await transcode?.stop();
    await subscription?.stop();
    await eventLog?.close();
    await catalog?.close();
    await scratch?.drop();
  }, 60_000);

  it('announces video.failed.v1 for a job whose source is missing', async () => {
    const videoId = newVideoId();
    // An upload as ingest records it, without ingest: the row, then the job on the topic.
    await insertVideo(catalog, { id: videoId, title: 'No source', status: 'uploaded' });
    const job: TranscodeJob = {
      event: EVENT_NAMES.transcodeJob,
      jobId: randomUUID(),
      videoId,
      sourceKey: `sources/${videoId}-never-uploaded`,
      attempt: 1,
      requestedAt: new Date().toISOString(),
    };
    await eventLog.publish(TOPICS.transcodeJobs.name, [
      { key: videoId, value: Buffer.from(JSON.stringify(job)) },
    ]);

    const failed = await eventually(
      'video.failed.v1 from the transcode process',
      () => heard.find((e) => e.videoId === videoId && e.event === EVENT_NAMES.videoFailed),
      { timeoutMs: 30_000 },
    );
    expect(failed).toMatchObject({ videoId, status: 'failed', error: expect.stringContaining('missing') });
    // The uploaded event the row's insert wrote went out through the same relay.
    expect(heard.filter((e) => e.videoId === videoId).map((e) => e.event)).toEqual([
      EVENT_NAMES.videoUploaded,
      EVENT_NAMES.videoFailed,
    ]);
  });
});
