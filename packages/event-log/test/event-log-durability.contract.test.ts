import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@streamloop/core/testing';
import { type KafkaInstance, startKafkaInstance } from '../../../infra/services.mjs';
import { createFileEventLog } from '../src/file-event-log.js';
import { createKafkaEventLog } from '../src/kafka-event-log.js';
import { describeEventLogDurability } from './contract.js';

describeEventLogDurability('EventLog durability — embedded file log', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'event-log-durable-'));
  return {
    location: { kind: 'file', dir },
    open: (logger) => createFileEventLog({ dir }, { logger }),
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
});

describeEventLogDurability('EventLog durability — Kafka (a private broker)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'event-log-durable-kafka-'));
  const ports = { port: await freePort(), controllerPort: await freePort() };
  const start = () => startKafkaInstance({ ...ports, dataDir: path.join(dir, 'kafka') });
  let broker: KafkaInstance = await start();
  const brokers = broker.brokers;
  return {
    location: { kind: 'kafka', brokers },
    open: (logger) =>
      createKafkaEventLog(
        { brokers, clientId: 'event-log-durability', consumer: { sessionTimeoutMs: 6_000 } },
        { logger },
      ),
    async restartBackend() {
      await broker.stop();
      broker = await start();
    },
    async crashBackend() {
      await broker.kill();
      broker = await start();
    },
    async teardown() {
      await broker.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
