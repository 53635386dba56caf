/**
 * Exposures at the playback API: every answer that assigned an arm is one `experiment.exposure.v1`
 * on `experiment-exposures` of a real Kafka (KAFKA_BROKERS; read back by a group of this file's own,
 * narrowed to this file's experiment), with the viewer, video, arm and synthetic mark of the
 * answer; answers without an arm make none. And when the log cannot take them (a topic that does
 * not exist: a real fault of the embedded log), playback still answers and the lost exposures are
 * counted on /metrics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExperimentExposure } from '@streamloop/core/schemas/experiment-exposure';
import { eventually, metricValue, uniqueName } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog, Subscription } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { deleteKafkaLeftovers, kafkaAddress, openKafkaLog } from '@streamloop/event-log/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNoLowExperiment } from './experiment-fixture.js';
import { API_KEY, addVideo, buildDeliveryApp, type Fixture, openFixture } from './fixtures.js';
import { type EncodedClip, encodeTestClip, publishTestClip } from './published-ladder.js';

describe(`exposures from the playback API to Kafka (${kafkaAddress})`, () => {
  const groupId = uniqueName('exposures-reader');
  let fixture: Fixture;
  let workDir: string;
  let clip: EncodedClip;
  let videoId: string;
  let experimentId: string;
  let kafka: EventLog;
  let reader: Subscription | undefined;
  const received: { key: string; exposure: ExperimentExposure }[] = [];

  const playback = async (app: FastifyInstance, query: string) => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/videos/${videoId}/playback${query}`,
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { variant: string | null };
  };

  beforeAll(async () => {
    kafka = await openKafkaLog('delivery-exposures-test');
    await kafka.ensureTopics([TOPICS.experimentExposures]);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-exposures-'));
    clip = await encodeTestClip(workDir);
    fixture = await openFixture();
    videoId = (await addVideo(fixture, { ladder: clip.record, durationMs: clip.durationMs })).id;
    await publishTestClip(fixture.objectStore, videoId, clip);
    experimentId = await startNoLowExperiment(fixture.catalog, videoId, 'exposed');
    // The topic is the real one (the stack's too): keep only this file's experiment.
    reader = await kafka.subscribe({
      groupId,
      topics: [TOPICS.experimentExposures.name],
      fromBeginning: true,
      async handleBatch(batch) {
        for (const message of batch.messages) {
          const exposure = JSON.parse(message.value.toString('utf8')) as ExperimentExposure;
          if (exposure.experimentId === experimentId) received.push({ key: message.key, exposure });
        }
      },
    });
  }, 120_000);

  afterAll(async () => {
    await reader?.stop();
    await kafka?.close();
    await deleteKafkaLeftovers({ groups: [groupId] });
    await fixture?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('publishes one exposure per answer that assigned an arm, with what the answer said', async () => {
    const now = new Date('2026-12-06T12:00:00.000Z');
    const { app, registry } = await buildDeliveryApp(fixture, {
      eventLog: kafka,
      experimentRefreshMs: 0,
      now: () => now,
      exposureBuffer: { flushIntervalMs: 20 },
    });
    const expected: { key: string; exposure: ExperimentExposure }[] = [];
    const expect_ = (viewerId: string, variant: string | null, synthetic: boolean) => {
      expect(variant).not.toBeNull();
      const arm = (variant ?? '').slice(experimentId.length + 1);
      expected.push({
        key: viewerId,
        exposure: {
          event: 'experiment.exposure.v1',
          experimentId,
          arm,
          viewerId,
          videoId,
          exposedAt: now.toISOString(),
          synthetic,
        },
      });
    };
    for (let i = 0; i < 10; i++)
      expect_(`viewer-${i}`, (await playback(app, `?viewerId=viewer-${i}`)).variant, false);
    // The same viewer again: a second exposure (the split counts distinct viewers).
    expect_('viewer-0', (await playback(app, '?viewerId=viewer-0')).variant, false);
    expect_('sim-1', (await playback(app, '?viewerId=sim-1&synthetic=1')).variant, true);
    // No viewer id, or the owner's explicit ladder: no arm, no exposure.
    expect((await playback(app, '')).variant).toBeNull();
    expect((await playback(app, '?viewerId=viewer-3&ladder=default')).variant).toBeNull();

    await eventually('12 exposures on the topic', () => (received.length >= 12 ? true : undefined));
    const byViewer = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    // One partition per key keeps one viewer's order; across viewers there is none to compare.
    expect([...received].sort(byViewer)).toEqual([...expected].sort(byViewer));
    expect(await metricValue(registry, 'streamloop_delivery_experiment_exposures_published_total')).toBe(12);
    await app.close();
    // Nothing more arrives after close (the two arm-less answers made none).
    expect(received).toHaveLength(12);
  });

  it('answers playback while the log refuses exposures, and counts every one it lost', async () => {
    // A log without the topic: every publish fails (UnknownTopicError) and the buffer fills up.
    const log = createMemoryEventLog();
    const { app, registry } = await buildDeliveryApp(fixture, {
      eventLog: log,
      experimentRefreshMs: 0,
      exposureBuffer: { maxBuffered: 2, flushIntervalMs: 10, publishTimeoutMs: 50 },
    });
    for (let i = 0; i < 5; i++) expect((await playback(app, `?viewerId=viewer-${i}`)).variant).not.toBeNull();
    const dropped = (reason: string) =>
      metricValue(registry, 'streamloop_delivery_experiment_exposures_dropped_total', { reason });
    // Two held, three refused at once.
    expect(await dropped('buffer_full')).toBe(3);
    await app.close();
    // Closing gives up on the two held: all five are accounted for.
    expect(await dropped('shutdown')).toBe(2);
    expect(await metricValue(registry, 'streamloop_delivery_experiment_exposures_published_total')).toBe(0);
    await log.close();
  });
});
