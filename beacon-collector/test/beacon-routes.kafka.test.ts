/**
 * The collector on a real Kafka: a batch answered 202 is on the topic, each beacon keyed by its
 * session, a session's beacons on one partition in the order sent; a spool bigger than one record
 * batch Kafka accepts drains in order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import {
  assertReachable,
  eventually,
  makeBeacon,
  requireService,
  uniqueName,
} from '@streamloop/core/testing';
import type { EventLog } from '@streamloop/event-log/event-log';
import { createKafkaClient } from '@streamloop/event-log/kafka-client';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collector, envelopeOf, logger, makeView, RECEIVED_AT_MS, startCollector } from './helpers.js';

const kafkaConfig = loadConfig(process.env).kafka;
const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';

describe(`POST /v1/beacons on Kafka (${kafkaAddress})`, () => {
  let eventLog: EventLog;
  let collector: Collector | undefined;

  beforeAll(async () => {
    const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
    await assertReachable('Kafka', kafkaAddress, async () => {
      eventLog = await createKafkaEventLog({ brokers, clientId: 'beacon-collector-test' }, { logger });
    });
  });

  const deleteTopic = async (topic: string) => {
    if (kafkaConfig === undefined) return;
    const admin = createKafkaClient(
      { ...kafkaConfig, clientId: 'beacon-collector-test-admin' },
      { logger, gate: { muted: true } },
    ).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  };

  afterAll(async () => {
    const topic = collector?.topic;
    await collector?.close();
    if (topic !== undefined) await deleteTopic(topic);
  });

  it('puts a 202 batch on the topic keyed by session id', async () => {
    collector = await startCollector({ eventLog });
    const sessions = [uniqueName('session'), uniqueName('session')];
    const beacons = sessions.flatMap((session) =>
      makeView(session, ['viewstart', 'playrequest', 'firstframe', 'viewend']),
    );

    const response = await collector.post(beacons);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ accepted: 8 });

    const messages = await collector.produced(8);
    expect(messages).toHaveLength(8);
    for (const message of messages) {
      const envelope = envelopeOf(message);
      expect(message.key).toBe(envelope.beacon.sessionId);
      expect(envelope.receivedAtMs).toBe(RECEIVED_AT_MS);
    }
    for (const session of sessions) {
      const ofSession = messages.filter((m) => m.key === session);
      expect(new Set(ofSession.map((m) => m.partition)).size).toBe(1);
      expect(ofSession.map((m) => envelopeOf(m).beacon.event)).toEqual([
        'viewstart',
        'playrequest',
        'firstframe',
        'viewend',
      ]);
    }
    expect(
      messages.map((m) => envelopeOf(m).beacon).sort((a, b) => a.beaconId.localeCompare(b.beaconId)),
    ).toEqual([...beacons].sort((a, b) => a.beaconId.localeCompare(b.beaconId)));
  });

  it('drains a spool larger than Kafka takes in one record batch, in publishes it does take', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'collector-big-spool-'));
    // No topic yet: every request is spooled.
    const spooling = await startCollector({
      eventLog,
      createTopic: false,
      routes: { spool: { dir, maxBytes: 16 * 1024 * 1024 } },
    });
    try {
      // One session, so one partition: ~1.6 MB for it, past the broker's 1 MiB message.max.bytes.
      const session = uniqueName('session-big');
      const requests = 700;
      for (let request = 0; request < requests; request++) {
        const beacons = Array.from({ length: 10 }, (_, i) =>
          makeBeacon({ sessionId: session, viewId: `${session}-view`, seq: request * 10 + i }),
        );
        expect((await spooling.post(beacons)).statusCode).toBe(202);
      }
      await eventLog.ensureTopics([{ name: spooling.topic, partitions: 3 }]);
      const produced = await spooling.produced(requests * 10);
      expect(produced.map((m) => envelopeOf(m).beacon.seq)).toEqual(
        Array.from({ length: requests * 10 }, (_, seq) => seq),
      );
    } finally {
      await spooling.app.close();
      await deleteTopic(spooling.topic);
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("carries a simulated viewer's marking (synthetic, cohort, networkClass) to the topic unchanged", async () => {
    // The first test's collector (and its topic, deleted after the suite) when it ran, else a new one.
    collector ??= await startCollector({ eventLog });
    const started = collector;
    const session = uniqueName('synthetic-session');
    const beacons = makeView(session, ['viewstart', 'firstframe', 'viewend']).map((beacon) => ({
      ...beacon,
      synthetic: true as const,
      cohort: 'commuters.3g',
      networkClass: '3g-hsdpa',
    }));
    expect((await started.post(beacons)).statusCode).toBe(202);
    const ofSession = await eventually(`the 3 beacons of ${session} on ${started.topic}`, async () => {
      const mine = (await started.produced(0)).filter((m) => m.key === session);
      return mine.length >= 3 ? mine : undefined;
    });
    expect(ofSession.map((m) => envelopeOf(m).beacon)).toEqual(beacons);
  });
});
