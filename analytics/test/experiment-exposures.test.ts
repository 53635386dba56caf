/**
 * Exposures on the real path from Kafka: delivery's `experiment.exposure.v1` messages (written here as
 * delivery writes them) reach `experiment_exposures_v1` through the exposure consumer, poison goes to
 * the dead-letter topic; then the experiment's results count the split on exposed viewers and say how
 * many of them beacons saw per arm. Kafka from KAFKA_BROKERS (topics and groups of this file's own),
 * chdb, and a scratch PostgreSQL catalog. Every expected number is worked out by hand below.
 */
import { createPgCatalog } from '@streamloop/catalog/pg-catalog';
import { createScratchDatabase, postgresUrl } from '@streamloop/catalog/testing';
import { experimentVariant } from '@streamloop/core/experiments';
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { ExperimentExposure } from '@streamloop/core/schemas/experiment-exposure';
import { eventually, metricValue, uniqueName } from '@streamloop/core/testing';
import { readDeadLetters } from '@streamloop/event-log/dead-letter-reader';
import type { EventLog, EventMessage } from '@streamloop/event-log/event-log';
import type { SupervisedConsumer } from '@streamloop/event-log/supervised-consumer';
import { deleteKafkaLeftovers, kafkaAddress, openKafkaLog } from '@streamloop/event-log/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBeaconsTable } from '../src/beacons-table.js';
import { createExposureConsumer, EXPOSURES_TABLE } from '../src/exposure-consumer.js';
import { openChdbSession, viewsCaughtUp } from './chdb-session.js';
import { experimentResultsApp, startTwoArmExperiment } from './experiment-results-app.js';
import { rowsOf, viewBeacons } from './make-beacon.js';

const logger = createLogger({ name: 'exposures-test', level: 'silent' });
const HOUR_MS = 3_600_000;

const makeExposure = (overrides: Partial<ExperimentExposure>): ExperimentExposure => ({
  event: 'experiment.exposure.v1',
  experimentId: 'exp',
  arm: 'control',
  viewerId: 'viewer',
  videoId: 'video',
  exposedAt: new Date().toISOString(),
  synthetic: false,
  ...overrides,
});
const asMessage = (exposure: ExperimentExposure): EventMessage => ({
  key: exposure.viewerId,
  value: Buffer.from(JSON.stringify(exposure)),
});

describe(`experiment exposures from Kafka (${kafkaAddress}) into chdb and the results`, () => {
  const topic = uniqueName('experiment-exposures-test');
  const deadLetterTopic = uniqueName('dead-letter-exposures');
  const groupId = uniqueName('analytics-exposures');
  const readerGroupId = uniqueName('dead-letter-reader');
  const replayGroupId = uniqueName('analytics-exposures-replay');
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  let chdb: Awaited<ReturnType<typeof openChdbSession>>;
  let log: EventLog;
  let consumer: SupervisedConsumer | undefined;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let catalog: ReturnType<typeof createPgCatalog>;

  beforeAll(async () => {
    log = await openKafkaLog('exposures-test');
    chdb = await openChdbSession();
    scratch = await createScratchDatabase(postgresUrl(), 'analytics_exposures');
    catalog = createPgCatalog({ url: scratch.url, logger: { warn: () => undefined } });
    await catalog.migrate();
  });

  afterAll(async () => {
    await consumer?.stop();
    await log?.close();
    await deleteKafkaLeftovers({
      groups: [groupId, replayGroupId, readerGroupId],
      topics: [topic, deadLetterTopic],
    });
    await catalog?.close();
    await scratch?.drop();
    await chdb?.close();
  });

  it('stores each exposure once, sends poison to the dead-letter topic, and counts the split on exposed viewers', async () => {
    const videoId = uniqueName('video');
    const experiment = await startTwoArmExperiment(catalog, { name: 'exposures', videoIds: [videoId] });
    const { startedAtMs } = experiment;
    const exposedAt = new Date(startedAtMs + 60_000).toISOString();
    const exposure = (arm: string, i: number, synthetic = false) =>
      makeExposure({
        experimentId: experiment.id,
        arm,
        viewerId: `${synthetic ? 'sim' : 'viewer'}-${arm}-${i}`,
        videoId,
        exposedAt,
        synthetic,
      });

    // 60 control viewers who opened the video twice each, 40 no-low viewers once, one simulated
    // no-low viewer; and two poison messages among them.
    const messages: EventMessage[] = [
      ...Array.from({ length: 60 }, (_, i) => exposure('control', i)).flatMap((e) => [
        asMessage(e),
        asMessage(e),
      ]),
      { key: 'x', value: Buffer.from('{not json') },
      ...Array.from({ length: 40 }, (_, i) => asMessage(exposure('no-low', i))),
      asMessage({ ...exposure('no-low', 99), event: 'experiment.exposure.v0' as 'experiment.exposure.v1' }),
      asMessage(exposure('no-low', 0, true)),
    ];
    await log.ensureTopics([
      { name: topic, partitions: 3 },
      { name: deadLetterTopic, partitions: 1 },
    ]);
    await log.publish(topic, messages);
    consumer = createExposureConsumer({
      eventLog: log,
      analyticsStore: chdb.store,
      logger,
      registry,
      topic,
      groupId,
      deadLetterTopic,
    });
    await consumer.start();

    // 120 + 40 + 1 good messages.
    const stored = async () => {
      const result = await chdb.store.client.query({
        query: `SELECT arm, synthetic, count() AS n, uniqExact(viewer_id) AS viewers
                FROM ${chdb.store.database}.${EXPOSURES_TABLE}
                WHERE experiment_id = {id:String} GROUP BY arm, synthetic ORDER BY arm, synthetic`,
        query_params: { id: experiment.id },
        format: 'JSONEachRow',
      });
      return result.json<{ arm: string; synthetic: boolean; n: string; viewers: string }>();
    };
    await eventually('161 exposures in chdb and the group caught up', async () => {
      const rows = await stored();
      const total = rows.reduce((sum, r) => sum + Number(r.n), 0);
      return total >= 161 && (await log.lag(groupId, topic)) === 0 ? true : undefined;
    });
    expect(await stored()).toEqual([
      { arm: 'control', synthetic: false, n: '120', viewers: '60' },
      { arm: 'no-low', synthetic: false, n: '40', viewers: '40' },
      { arm: 'no-low', synthetic: true, n: '1', viewers: '1' },
    ]);
    // The same batches delivered again (a group replaying the topic from the start, as after a
    // lost commit): each carries its first delivery's dedup token, so nothing is added.
    const replayRegistry = createMetricsRegistry({ collectProcessMetrics: false });
    const replay = createExposureConsumer({
      eventLog: log,
      analyticsStore: chdb.store,
      logger,
      registry: replayRegistry,
      topic,
      groupId: replayGroupId,
      deadLetterTopic,
    });
    await replay.start();
    await eventually('the replay caught up', async () =>
      (await log.lag(replayGroupId, topic)) === 0 ? true : undefined,
    );
    await replay.stop();
    expect(await metricValue(replayRegistry, 'streamloop_analytics_exposures_inserted_total')).toBe(161);
    expect((await stored()).map((r) => r.n)).toEqual(['120', '40', '1']);
    expect(
      await metricValue(registry, 'streamloop_analytics_exposures_dropped_total', { reason: 'invalid_json' }),
    ).toBe(1);
    expect(
      await metricValue(registry, 'streamloop_analytics_exposures_dropped_total', {
        reason: 'invalid_exposure',
      }),
    ).toBe(1);
    const { letters } = await readDeadLetters(log, { groupId: readerGroupId, topic: deadLetterTopic });
    await eventually('both poison messages on the dead-letter topic, twice', () =>
      letters.length >= 4 ? true : undefined,
    );
    // A dead letter is at least once: the replay above wrote both again.
    expect(letters.map((l) => l.reason).sort()).toEqual([
      'invalid_exposure',
      'invalid_exposure',
      'invalid_json',
      'invalid_json',
    ]);

    // Beacons saw every control viewer but only 10 of the 40 no-low viewers.
    const seen = [
      ...Array.from({ length: 60 }, (_, i) => ['control', i] as const),
      ...Array.from({ length: 10 }, (_, i) => ['no-low', i] as const),
    ];
    const rows = seen.flatMap(([arm, i]) => {
      const beacons = viewBeacons({
        videoId,
        viewId: uniqueName(`view-${arm}-${i}`),
        viewerId: `viewer-${arm}-${i}`,
        startupTimeMs: 800,
        heartbeatsWatchMs: [30_000],
        bitrateKbps: 2_000,
      }).map((b) => ({ ...b, variant: experimentVariant(experiment.id, arm) }));
      return rowsOf(beacons, startedAtMs + 120_000);
    });
    await createBeaconsTable(chdb.store).insert(rows, uniqueName('insert'));
    await eventually('views of the experiment', async () =>
      (await viewsCaughtUp(chdb.store, videoId)) ? true : undefined,
    );

    const { app, results: resultsOf } = experimentResultsApp({
      store: chdb.store,
      catalog,
      now: startedAtMs + 3 * HOUR_MS,
    });
    const results = async (query = '') => (await resultsOf(experiment.id, query)).sampleRatioMismatch;

    // Exposed 60 : 40 on a 50/50 split: expected 50 each, χ² = 2 · 10²/50 = 4, p = P(χ²₁ > 4) = 0.0455.
    // Beacons 60 : 10 against the exposed shares 0.6 : 0.4 of 70: expected 42 : 28,
    // χ² = 18²/42 + 18²/28 = 7.714 + 11.571 = 19.286, p = 1.13e-5 < 0.001: flagged.
    const srm = await results();
    expect(srm).toMatchObject({
      basis: 'exposures',
      observedViewers: [60, 40],
      expectedViewers: [50, 50],
      exposedViewers: [60, 40],
      beaconViewers: [60, 10],
      beaconCoverage: [1, 0.25],
      flagged: false,
    });
    expect(srm?.chiSquare).toBeCloseTo(4, 9);
    expect(srm?.pValue).toBeCloseTo(0.0455, 4);
    expect(srm?.trackingMismatch?.chiSquare).toBeCloseTo(19.2857, 4);
    expect(srm?.trackingMismatch?.pValue).toBeCloseTo(1.13e-5, 6);
    expect(srm?.trackingMismatch?.flagged).toBe(true);

    // The simulated viewer counts only when asked: 60 : 41 of all viewers.
    expect((await results('?synthetic=all'))?.exposedViewers).toEqual([60, 41]);
    await app.close();
  });
});
