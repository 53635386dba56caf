import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@streamloop/core/config';
import { assertReachable, requireService } from '@streamloop/core/testing';
import { Kafka, logLevel } from 'kafkajs';
import { createFileEventLog } from '../src/file-event-log.js';
import { createKafkaEventLog, type KafkaEventLogOptions } from '../src/kafka-event-log.js';
import { createMemoryEventLog } from '../src/memory-event-log.js';
import { describeEventLogContract, type EventLogHarness } from './contract.js';

const kafkaConfig = loadConfig(process.env).kafka;
const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';

const onKafka =
  (options: Pick<KafkaEventLogOptions, 'producerThread' | 'connect'>) =>
  async (): Promise<EventLogHarness> => {
    const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
    // A plain admin for cleanup only; silent because cleanup failures must not fail or clutter tests.
    const admin = new Kafka({
      brokers,
      clientId: 'event-log-test-cleanup',
      logLevel: logLevel.NOTHING,
    }).admin();
    await assertReachable('Kafka', kafkaAddress, async () => {
      await admin.connect();
      await admin.listTopics();
    });
    return {
      open: (logger) =>
        createKafkaEventLog({ brokers, clientId: 'event-log-contract', ...options }, { logger }),
      async cleanup({ topics, groups }) {
        await admin.deleteGroups(groups).catch(() => undefined);
        const existing = new Set(await admin.listTopics());
        const created = topics.filter((t) => existing.has(t));
        if (created.length > 0) await admin.deleteTopics({ topics: created }).catch(() => undefined);
      },
      teardown: () => admin.disconnect(),
    };
  };

describeEventLogContract(`EventLog contract — Kafka (${kafkaAddress})`, onKafka({}));

// The beacon collector's way (COLLECTOR_EVENT_LOG): publishing from a worker thread, connected in the background.
describeEventLogContract(
  `EventLog contract — Kafka (${kafkaAddress}), producer thread, background connection`,
  onKafka({ producerThread: true, connect: 'background' }),
);

describeEventLogContract('EventLog contract — embedded in-process log', async () => ({
  open: async (logger) => createMemoryEventLog({ logger }),
}));

describeEventLogContract('EventLog contract — embedded file log', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'event-log-contract-'));
  let n = 0;
  return {
    // A directory per test: one fixture's log is still closing while the next one opens.
    open: async (logger) => createFileEventLog({ dir: path.join(dir, String(n++)) }, { logger }),
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
});
