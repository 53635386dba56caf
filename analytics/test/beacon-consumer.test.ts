/**
 * Beacons through the real embedded event log into real ClickHouse (chdb), read back through the
 * overview query. Each test has its own log, consumer group, metrics registry and video ids.
 */
import { createLogger } from '@streamloop/core/logger';
import { createMetricsRegistry } from '@streamloop/core/metrics';
import type { DeadLetter } from '@streamloop/core/schemas/dead-letter';
import { eventually, makeBeacon, metricValue, uniqueName } from '@streamloop/core/testing';
import { TOPICS } from '@streamloop/core/topics';
import { readDeadLetters } from '@streamloop/event-log/dead-letter-reader';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createMemoryEventLog } from '@streamloop/event-log/memory-event-log';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type BeaconConsumer, createBeaconConsumer } from '../src/beacon-consumer.js';
import { type BeaconsTable, createBeaconsTable } from '../src/beacons-table.js';
import { getOverview } from '../src/qoe-queries.js';
import { openChdbSession, storedRows, viewsCaughtUp } from './chdb-session.js';
import { collectorMessage, viewBeacons } from './make-beacon.js';

const chdb = await openChdbSession();
const { store } = chdb;
const logger = createLogger({ name: 'analytics-test', level: 'silent' });
const topic = TOPICS.qoeBeacons.name;
const HOUR_MS = 3600 * 1000;
const receivedAtMs = Date.UTC(2025, 5, 1, 12, 0, 0);
const range = { fromMs: receivedAtMs - HOUR_MS, toMs: receivedAtMs + HOUR_MS };

const running: Array<{ consumer: BeaconConsumer; log: EventLog }> = [];

async function startPipeline(
  options: { beaconsTable?: BeaconsTable; log?: EventLog; groupId?: string } = {},
) {
  const log = options.log ?? createMemoryEventLog({ logger });
  await log.ensureTopics([TOPICS.qoeBeacons, TOPICS.deadLetter]);
  const registry = createMetricsRegistry({ collectProcessMetrics: false });
  const consumer = createBeaconConsumer({
    eventLog: log,
    analyticsStore: store,
    logger,
    registry,
    groupId: options.groupId ?? uniqueName('analytics'),
    backoff: { initialDelayMs: 10, maxDelayMs: 50 },
    ...(options.beaconsTable ? { beaconsTable: options.beaconsTable } : {}),
  });
  await consumer.start();
  running.push({ consumer, log });
  return { log, registry, consumer };
}

const counterValue = metricValue;

/** Every letter on the dead-letter topic of this test's own log, read through a fresh group. */
async function deadLetters(log: EventLog): Promise<DeadLetter[]> {
  const reader = await readDeadLetters(log, { groupId: uniqueName('letters') });
  // The letter is written before the batch's insert, and the rows are visible: it is there.
  await eventually('the dead-letter topic read', async () =>
    (await log.lag(uniqueName('nobody'), TOPICS.deadLetter.name)) === reader.letters.length
      ? true
      : undefined,
  );
  await reader.stop();
  return reader.letters;
}
const untilStored = (videoId: string, rows: number) =>
  eventually(`${rows} rows of ${videoId} in beacons_v1, and views_v1 caught up`, async () =>
    (await storedRows(store, videoId)) >= rows && (await viewsCaughtUp(store, videoId)) ? true : undefined,
  );

afterEach(async () => {
  for (const { consumer, log } of running.splice(0)) {
    await consumer.stop();
    await log.close();
  }
});
afterAll(() => chdb.close());

describe('beacon consumer → beacons_v1 → overview', () => {
  it('reports plays, viewers, startup percentiles, rebuffering, watch time and errors as worked out by hand', async () => {
    const videoId = uniqueName('video');
    const { log } = await startPipeline();
    const views = [
      // viewer A, first view: 400 ms to first frame, one 1200 ms stall, 25 s watched.
      viewBeacons({
        videoId,
        viewId: 'a1',
        viewerId: 'viewer-a',
        startupTimeMs: 400,
        rebuffersMs: [1200],
        heartbeatsWatchMs: [10_000, 10_000, 5_000],
      }),
      // viewer A again: 700 ms, no stall, 6 s watched.
      viewBeacons({
        videoId,
        viewId: 'a2',
        viewerId: 'viewer-a',
        startupTimeMs: 700,
        heartbeatsWatchMs: [6_000],
      }),
      // viewer B: 1000 ms, stalls of 300 and 500 ms, 14 s watched, one error.
      viewBeacons({
        videoId,
        viewId: 'b1',
        viewerId: 'viewer-b',
        startupTimeMs: 1000,
        rebuffersMs: [300, 500],
        heartbeatsWatchMs: [10_000, 4_000],
        errors: 1,
      }),
    ];
    // Not counted: a viewer who opened the player but never asked to play, another video, and a view outside the range.
    const noise = [
      makeBeacon({ videoId, viewId: 'c1', viewerId: 'viewer-c', event: 'viewstart' }),
      ...viewBeacons({
        videoId: uniqueName('other-video'),
        viewId: 'o1',
        viewerId: 'viewer-o',
        startupTimeMs: 9000,
      }),
    ];
    const tooEarly = viewBeacons({
      videoId,
      viewId: 'e1',
      viewerId: 'viewer-e',
      startupTimeMs: 9000,
      heartbeatsWatchMs: [60_000],
    });
    const inRange = [...views.flat(), ...noise];
    await log.publish(topic, [
      ...inRange.map((b) => collectorMessage(b, receivedAtMs)),
      ...tooEarly.map((b) => collectorMessage(b, range.fromMs - 1)),
    ]);
    await untilStored(videoId, views.flat().length + 1 + tooEarly.length);

    expect(await getOverview(store, { videoId, ...range })).toMatchObject({
      plays: 3, // a1, a2, b1
      viewers: 2, // viewer-a, viewer-b (viewer-c never asked to play)
      // startups sorted [400, 700, 1000]; linear between ranks: p50 at rank 1 = 700,
      // p95 at rank 0.95 × 2 = 1.9 → 700 + 0.9 × (1000 − 700) = 970
      startupTimeMs: { p50: 700, p95: 970 },
      rebufferCount: 3,
      rebufferTimeMs: 2000, // 1200 + 300 + 500
      watchTimeMs: 45_000, // 25 000 + 6 000 + 14 000
      rebufferRatio: 2000 / (45_000 + 2000),
      errors: 1,
    });
  });

  it('reports zeros and nulls, never NaN, for a video without beacons', async () => {
    expect(await getOverview(store, { videoId: uniqueName('silent-video'), ...range })).toMatchObject({
      plays: 0,
      viewers: 0,
      startupTimeMs: { p50: null, p95: null },
      rebufferCount: 0,
      rebufferTimeMs: 0,
      watchTimeMs: 0,
      rebufferRatio: null,
      errors: 0,
    });
  });

  it('stores a batch once when the consumer fails after its insert landed and the batch is retried', async () => {
    const videoId = uniqueName('video');
    // Fault injection (a process dying between ClickHouse's ack and the commit cannot be caused on
    // cue): the real insert runs, then the call fails once as if the connection dropped.
    const real = createBeaconsTable(store);
    let failuresLeft = 1;
    const flaky: BeaconsTable = {
      async insert(rows, token) {
        await real.insert(rows, token);
        if (failuresLeft-- > 0) throw new Error('socket hang up (injected after the insert)');
      },
    };
    const { log, registry } = await startPipeline({ beaconsTable: flaky });
    const beacons = viewBeacons({
      videoId,
      viewId: 'v1',
      viewerId: 'viewer-1',
      startupTimeMs: 500,
      heartbeatsWatchMs: [5000],
    });
    await log.publish(
      topic,
      beacons.map((b) => collectorMessage(b, receivedAtMs)),
    );

    await eventually('the retried insert to succeed', async () =>
      (await counterValue(registry, 'streamloop_analytics_beacons_inserted_total')) === beacons.length
        ? true
        : undefined,
    );
    expect(await counterValue(registry, 'streamloop_analytics_beacon_insert_retries_total')).toBe(1);
    expect(await storedRows(store, videoId)).toBe(beacons.length);
    expect(await getOverview(store, { videoId, ...range })).toMatchObject({ plays: 1, watchTimeMs: 5000 });
  });

  it('stops while ClickHouse keeps failing, and the next consumer of the group stores the batch', async () => {
    const videoId = uniqueName('video');
    const groupId = uniqueName('analytics');
    // Fault injection: an analytics store that refuses every insert (an outage is not ours to cause).
    const down: BeaconsTable = {
      insert: async () => {
        throw new Error('connect ECONNREFUSED (injected)');
      },
    };
    const first = await startPipeline({ beaconsTable: down, groupId });
    const beacons = viewBeacons({ videoId, viewId: 'v1', viewerId: 'viewer-1', startupTimeMs: 450 });
    await first.log.publish(
      topic,
      beacons.map((b) => collectorMessage(b, receivedAtMs)),
    );
    await eventually('the insert to be retried', async () =>
      (await counterValue(first.registry, 'streamloop_analytics_beacon_insert_retries_total')) >= 2
        ? true
        : undefined,
    );
    await first.consumer.stop();
    expect(await storedRows(store, videoId)).toBe(0);

    // Same log, same group, a healthy store: the uncommitted batch comes again.
    await startPipeline({ log: first.log, groupId });
    await untilStored(videoId, beacons.length);
    expect(await getOverview(store, { videoId, ...range })).toMatchObject({
      plays: 1,
      startupTimeMs: { p50: 450 },
    });
  });

  it('counts beacons delivered twice (same beaconIds, other batches) once', async () => {
    const videoId = uniqueName('video');
    const { log } = await startPipeline();
    const beacons = viewBeacons({
      videoId,
      viewId: 'v1',
      viewerId: 'viewer-1',
      startupTimeMs: 800,
      rebuffersMs: [250],
      heartbeatsWatchMs: [9750],
    });
    const messages = beacons.map((b) => collectorMessage(b, receivedAtMs));
    await log.publish(topic, messages);
    await untilStored(videoId, beacons.length);
    // A collector retry: the same beacons again, received a second later, so a new batch and token.
    await log.publish(
      topic,
      beacons.map((b) => collectorMessage(b, receivedAtMs + 1000)),
    );
    await untilStored(videoId, 2 * beacons.length);

    expect(await getOverview(store, { videoId, ...range })).toMatchObject({
      plays: 1,
      viewers: 1,
      startupTimeMs: { p50: 800, p95: 800 },
      rebufferCount: 1,
      rebufferTimeMs: 250,
      watchTimeMs: 9750,
      rebufferRatio: 250 / (9750 + 250),
      errors: 0,
    });
  });

  it('loses nothing when a restarted embedded log hands out the same offsets again', async () => {
    const videoId = uniqueName('video');
    const first = viewBeacons({
      videoId,
      viewId: 'before-restart',
      viewerId: 'viewer-1',
      startupTimeMs: 300,
    });
    const second = viewBeacons({
      videoId,
      viewId: 'after-restart',
      viewerId: 'viewer-1',
      startupTimeMs: 600,
    });
    const a = await startPipeline();
    await a.log.publish(
      topic,
      first.map((b) => collectorMessage(b, receivedAtMs)),
    );
    await untilStored(videoId, first.length);
    // A new process: a fresh in-memory log (offsets from 0 again), the same on-disk chdb table.
    const b = await startPipeline();
    await b.log.publish(
      topic,
      second.map((b) => collectorMessage(b, receivedAtMs)),
    );
    await untilStored(videoId, first.length + second.length);

    expect(await getOverview(store, { videoId, ...range })).toMatchObject({
      plays: 2,
      startupTimeMs: { p50: 450 },
    });
  });

  describe('malformed messages are dead-lettered (or dropped) with a reason and counted; the consumer goes on', () => {
    const valid = () => makeBeacon({ event: 'playrequest' });
    const cases: Array<{ name: string; value: Buffer; reason: string; detail?: RegExp }> = [
      { name: 'not JSON', value: Buffer.from('{"beacon": '), reason: 'invalid_json' },
      { name: 'a JSON array', value: Buffer.from('[]'), reason: 'invalid_envelope' },
      {
        name: 'no receivedAtMs',
        value: Buffer.from(JSON.stringify({ beacon: valid() })),
        reason: 'invalid_envelope',
      },
      {
        name: 'receivedAtMs as a string',
        value: Buffer.from(JSON.stringify({ beacon: valid(), receivedAtMs: '2025-06-01' })),
        reason: 'invalid_envelope',
      },
      {
        name: 'an unknown event',
        value: collectorMessage({ ...valid(), event: 'teleport' }, receivedAtMs).value,
        reason: 'invalid_beacon',
      },
      {
        name: 'an unknown field',
        value: collectorMessage({ ...valid(), extra: 1 }, receivedAtMs).value,
        reason: 'invalid_beacon',
      },
      {
        name: 'another schema version',
        value: collectorMessage({ ...valid(), schema: 'qoe.beacon.v2' }, receivedAtMs).value,
        reason: 'invalid_beacon',
      },
      {
        // The schema bounds it at 2^53 - 1 now; the row step's own check stays as a second line.
        name: 'clientTimeMs beyond 2^53',
        value: collectorMessage({ ...valid(), clientTimeMs: 1e300 }, receivedAtMs).value,
        reason: 'invalid_beacon',
      },
      {
        // Half-marked: a simulated cohort on a beacon that does not say synthetic (core's rule, the
        // collector's too) must never be stored as a real viewer's.
        name: 'a cohort without synthetic: true',
        value: collectorMessage({ ...valid(), cohort: 'commuters' }, receivedAtMs).value,
        reason: 'invalid_beacon',
        detail: /^\/synthetic: cohort marks a simulated viewer/,
      },
      {
        name: 'a networkClass and cohort with synthetic: false',
        value: collectorMessage(
          { ...valid(), synthetic: false, cohort: 'commuters', networkClass: '3g' },
          receivedAtMs,
        ).value,
        reason: 'invalid_beacon',
        detail: /^\/synthetic: cohort and networkClass mark a simulated viewer/,
      },
      {
        // The schema leaves CMCD integers unbounded; their columns are UInt32.
        name: 'a CMCD bitrate beyond 2^32 - 1',
        value: collectorMessage({ ...valid(), cmcd: { br: 2 ** 32 } }, receivedAtMs).value,
        reason: 'value_out_of_range',
      },
    ];

    it.each(cases)('$name → $reason', async ({ value, reason, detail }) => {
      const videoId = uniqueName('video');
      const { log, registry } = await startPipeline();
      const after = makeBeacon({ videoId, event: 'playrequest' });
      await log.publish(topic, [{ key: 'session-1', value }, collectorMessage(after, receivedAtMs)]);
      await untilStored(videoId, 1);

      expect(await counterValue(registry, 'streamloop_analytics_beacons_dropped_total', { reason })).toBe(1);
      // Poison is kept for a person to look at; a value a column cannot hold is only counted.
      const letters = await deadLetters(log);
      if (reason === 'value_out_of_range') expect(letters).toEqual([]);
      else
        expect(letters).toEqual([
          expect.objectContaining({
            reason,
            service: 'analytics',
            value: value.toString('utf8'),
            ...(detail === undefined ? {} : { detail: expect.stringMatching(detail) }),
          }),
        ]);
      // The rows are visible a moment before the INSERT (and its materialized view) returns and counts.
      await eventually('the insert counted', async () =>
        (await counterValue(registry, 'streamloop_analytics_beacons_inserted_total')) >= 1 ? true : undefined,
      );
      expect(await counterValue(registry, 'streamloop_analytics_beacons_inserted_total')).toBe(1);
    });
  });
});
