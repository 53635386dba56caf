/**
 * The collector STARTS while Kafka is away, for real: the built `beacon-collector/dist/main.js`
 * (services mode) is pointed at the address of a private Kafka broker that is not running yet —
 * nothing listens on that port. It must come up, answer 202 from its fsynced spool, and say
 * `degraded` on /readyz (200: it still takes beacons). Then the broker starts on that address and
 * the same process, without a restart, creates its topic and drains the spool: every 202'd beacon
 * is on the topic.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@streamloop/core/logger';
import { decodeBeaconMessage } from '@streamloop/core/schemas/beacon-envelope';
import { TOPICS } from '@streamloop/core/topics';
import { eventually, uniqueName } from '@streamloop/core/testing';
import type { EventLog, Subscription } from '@streamloop/event-log/event-log';
import { createKafkaEventLog } from '@streamloop/event-log/kafka-event-log';
import { type RunningProcess, startProcess } from '@streamloop/service-kit/child-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaInstance, startKafkaInstance } from '../../infra/services.mjs';
import { freePort, runBeacons } from './beacon-pipeline.js';
import { entryOf, processEnv } from './processes.js';

const BATCHES = 5;
const BEACONS_PER_BATCH = 10;
const logger = createLogger({ name: 'collector-start-without-kafka', level: 'silent' });

interface Readiness {
  status: string;
  degraded?: string[];
}

describe('beacon-collector started while Kafka is unreachable', () => {
  let dir: string;
  let kafka: KafkaInstance | undefined;
  let collector: RunningProcess | undefined;
  let reader: EventLog | undefined;
  let subscription: Subscription | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'streamloop-collector-no-kafka-'));
  });

  afterAll(async () => {
    await subscription?.stop();
    await reader?.close();
    await collector?.stop();
    await kafka?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('answers 202 from its spool, reports Kafka degraded, and drains once the broker appears', async () => {
    const kafkaPorts = { port: await freePort(), controllerPort: await freePort() };
    collector = await startProcess(
      entryOf('beacon-collector'),
      processEnv({
        KAFKA_BROKERS: `127.0.0.1:${kafkaPorts.port}`,
        STREAMLOOP_DATA_DIR: path.join(dir, 'collector'),
        BEACON_RATE_LIMIT: '0',
      }),
    );
    const base = collector.baseUrl;
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? 0 : Number(line.split(' ')[1]);
    };
    const readiness = async (): Promise<{ code: number; body: Readiness }> => {
      const res = await fetch(`${base}/readyz`);
      return { code: res.status, body: (await res.json()) as Readiness };
    };

    const notReady = await readiness();
    expect(notReady.code).toBe(200);
    expect(notReady.body.status).toBe('degraded');
    expect(notReady.body.degraded?.join('\n')).toMatch(/event-log \(Kafka at 127\.0\.0\.1:\d+\)/);

    const beaconOf = runBeacons(uniqueName('no-kafka'));
    const sent: string[] = [];
    const post = async (batch: number) => {
      const beacons = Array.from({ length: BEACONS_PER_BATCH }, (_, seq) => beaconOf(batch, seq));
      const res = await fetch(`${base}/v1/beacons`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify(beacons),
      });
      expect(res.status).toBe(202);
      sent.push(...beacons.map((b) => b.beaconId));
    };
    for (let batch = 0; batch < BATCHES; batch++) await post(batch);
    expect(await metric('streamloop_beacon_collector_beacons_spooled_total')).toBe(
      BATCHES * BEACONS_PER_BATCH,
    );
    expect(await metric('streamloop_beacon_collector_beacons_produced_total')).toBe(0);

    // Kafka appears at the address the collector was given; nobody restarts the collector.
    kafka = await startKafkaInstance({ ...kafkaPorts, dataDir: path.join(dir, 'kafka') });
    await eventually(
      'the spool drained into Kafka',
      async () =>
        (await metric('streamloop_beacon_collector_beacons_produced_total')) === sent.length
          ? true
          : undefined,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    await eventually(
      '/readyz ready',
      async () => ((await readiness()).body.status === 'ready' ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    );
    // Direct again: a beacon sent now is acknowledged by Kafka itself.
    await post(BATCHES);

    reader = await createKafkaEventLog(
      { brokers: kafka.brokers, clientId: 'collector-no-kafka-reader' },
      { logger },
    );
    const onTopic: string[] = [];
    subscription = await reader.subscribe({
      groupId: uniqueName('collector-no-kafka-reader'),
      topics: [TOPICS.qoeBeacons.name],
      fromBeginning: true,
      handleBatch: async ({ messages }) => {
        for (const message of messages) {
          const decoded = decodeBeaconMessage(message.value);
          if (!decoded.ok) throw new Error(`a bad message on the topic: ${decoded.detail}`);
          for (const { beacon } of decoded.envelopes) onTopic.push((beacon as { beaconId: string }).beaconId);
        }
      },
    });
    await eventually(
      'every 202 beacon on the topic',
      () => (new Set(onTopic).size >= sent.length ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(new Set(onTopic)).toEqual(new Set(sent));
  }, 300_000);
});
