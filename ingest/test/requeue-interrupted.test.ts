import { insertVideo, updateVideoStatus } from '@streamloop/catalog/video-repository';
import { eventually } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import type { ConsumedMessage } from '@streamloop/event-log/event-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requeueInterruptedJobs } from '../src/requeue-interrupted.js';
import { type EmbeddedIngest, startEmbeddedIngest } from './embedded-fixture.js';
import { silentLogger } from './helpers.js';

describe('requeueInterruptedJobs (single-process restart)', () => {
  let ingest: EmbeddedIngest;
  beforeAll(async () => {
    ingest = await startEmbeddedIngest();
  });
  afterAll(async () => {
    await ingest.teardown();
  });

  it('publishes a job for every uploaded or processing video with a source, and none for finished ones', async () => {
    const make = async (
      id: string,
      status: 'uploaded' | 'processing' | 'ready' | 'failed' | 'waiting_upload',
      sourceKey: string | null,
    ) => {
      await insertVideo(ingest.catalog, {
        id,
        title: id,
        status: status === 'waiting_upload' ? 'waiting_upload' : 'uploaded',
        sourceKey,
      });
      if (status === 'processing' || status === 'ready' || status === 'failed') {
        await updateVideoStatus(ingest.catalog, id, {
          status: status === 'failed' ? 'failed' : 'processing',
        });
        if (status === 'ready') await updateVideoStatus(ingest.catalog, id, { status: 'ready' });
      }
    };
    await make('uploaded-0001', 'uploaded', 'sources/uploaded-0001');
    await make('processing-01', 'processing', 'sources/processing-01');
    await make('ready-000001', 'ready', 'sources/ready-000001');
    await make('failed-00001', 'failed', 'sources/failed-00001');
    await make('waiting-00001', 'waiting_upload', null);

    const received: ConsumedMessage[] = [];
    const sub = await ingest.eventLog.subscribe({
      groupId: 'requeue-test',
      topics: [TOPICS.transcodeJobs.name],
      async handleBatch(batch) {
        received.push(...batch.messages);
      },
    });
    expect(
      await requeueInterruptedJobs({
        catalog: ingest.catalog,
        eventLog: ingest.eventLog,
        logger: silentLogger,
      }),
    ).toBe(2);
    await eventually('two jobs', () => (received.length >= 2 ? true : undefined));
    await sub.stop();
    const jobs = received.map((m) => JSON.parse(m.value.toString()));
    expect(jobs.map((j) => [j.videoId, j.sourceKey]).sort()).toEqual([
      ['processing-01', 'sources/processing-01'],
      ['uploaded-0001', 'sources/uploaded-0001'],
    ]);
    expect(received.map((m) => m.key).sort()).toEqual(['processing-01', 'uploaded-0001']);
  });
});
