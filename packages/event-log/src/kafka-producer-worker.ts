/**
 * The worker side of the Kafka producer thread (kafka-producer-thread.ts): one kafkajs producer,
 * configured exactly as the in-process one, sending what the owning thread posts. Values arrive as
 * one transferred buffer plus offsets; kafkajs' logging goes back to the owner's logger.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { reasonOf } from '@streamloop/core/errors';
import { CompressionTypes, Kafka, type logCreator, logLevel, type Message } from 'kafkajs';
import { KAFKA_CONNECTION_TIMEOUT_MS, KAFKA_RETRY } from './kafka-client.js';
import { isUnknownTopic, PRODUCER_SETTINGS } from './kafka-producer-settings.js';
import type {
  ProducerThreadReply,
  ProducerThreadRequest,
  ProducerThreadSetup,
} from './kafka-producer-thread.js';

const port = parentPort;
if (port === null) throw new Error('kafka-producer-worker runs as a worker thread only');
const setup = workerData as ProducerThreadSetup;
const post = (reply: ProducerThreadReply) => port.postMessage(reply);

const forwardLogs: logCreator =
  () =>
  ({ namespace, level, log }) => {
    const { message, timestamp: _timestamp, ...fields } = log;
    post({
      kind: 'log',
      level: level === logLevel.ERROR ? 'error' : 'warn',
      namespace,
      message,
      fields: JSON.parse(JSON.stringify(fields)),
    });
  };

const kafka = new Kafka({
  brokers: setup.brokers,
  clientId: setup.clientId,
  connectionTimeout: KAFKA_CONNECTION_TIMEOUT_MS,
  retry: KAFKA_RETRY,
  logLevel: logLevel.WARN,
  logCreator: forwardLogs,
});
const producer = kafka.producer(PRODUCER_SETTINGS);
const compression = setup.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

let connected: Promise<void> | undefined;
const connect = (): Promise<void> =>
  (connected ??= producer.connect().catch((err: unknown) => {
    connected = undefined;
    throw err;
  }));

async function handle(request: ProducerThreadRequest): Promise<void> {
  if (request.kind !== 'send') return request.kind === 'connect' ? connect() : producer.disconnect();
  await connect();
  const values = Buffer.from(request.values);
  const messages: Message[] = request.keys.map((key, i) => {
    const value = values.subarray(request.offsets[i], request.offsets[i + 1]);
    const headers = request.headers?.[i];
    return headers === undefined ? { key, value } : { key, value, headers };
  });
  await producer.send({ topic: request.topic, acks: -1, compression, messages });
}

port.on('message', (request: ProducerThreadRequest) => {
  handle(request).then(
    () => post({ kind: 'done', id: request.id }),
    (err: unknown) =>
      post({ kind: 'failed', id: request.id, reason: reasonOf(err), unknownTopic: isUnknownTopic(err) }),
  );
});
