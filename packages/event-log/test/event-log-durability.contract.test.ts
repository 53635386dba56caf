/**
 * The restart and kill -9 half of the EventLog contract (contract.ts, describeEventLogDurability),
 * on both adapters that keep data: the embedded file log in a data dir, and Kafka. Kafka's broker is
 * the thing that holds the data, so it is a PRIVATE broker here (infra/services.mjs
 * startKafkaInstance): the tests stop it, and SIGKILL it, which must never happen to the shared one.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type KafkaInstance, startKafkaInstance } from '../../../infra/services.mjs';
import { createFileEventLog } from '../src/file-event-log.js';
import { createKafkaEventLog } from '../src/kafka-event-log.js';
import { describeEventLogDurability } from './contract.js';

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

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
