/**
 * The Kafka producer on a thread of its own. Profiled under the collector bench (issue 16), kafkajs
 * took a fifth of the collector's main thread: record encoding with growing zero-filled buffers,
 * CRC32C byte by byte in JavaScript, socket writes. None of it can be swapped out through a
 * supported kafkajs hook, so it moves off the thread that parses HTTP requests: `send` packs the
 * values into one buffer, transfers it to the worker (no copy) and resolves with the worker's answer.
 * A worker that dies is replaced on the next send; the sends it had are rejected (the caller retries).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@streamloop/core/logger';
import { logLevel } from 'kafkajs';
import type { EventMessage } from './event-log.js';
import { createKafkaLogCreator, type LogGate } from './kafka-log-creator.js';

// The built worker, through the package's own exports: also when this file runs from source (tests).
const WORKER_ENTRY = createRequire(import.meta.url).resolve('@streamloop/event-log/kafka-producer-worker');

export interface ProducerThreadSetup {
  brokers: string[];
  clientId: string;
  compression: 'gzip' | 'none';
}

export type ProducerThreadRequest =
  | { kind: 'connect' | 'disconnect'; id: number }
  | {
      kind: 'send';
      id: number;
      topic: string;
      keys: string[];
      /** Every value back to back; value i is `offsets[i]` up to `offsets[i + 1]`. */
      values: ArrayBuffer;
      offsets: number[];
      headers?: (Record<string, string> | undefined)[];
    };

export type ProducerThreadReply =
  | { kind: 'done'; id: number }
  | { kind: 'failed'; id: number; reason: string; unknownTopic: boolean }
  | {
      kind: 'log';
      level: 'warn' | 'error';
      namespace: string;
      message: string;
      fields: Record<string, unknown>;
    };

/** A send the worker refused; `unknownTopic` when the broker does not know the topic. */
export class ProducerThreadError extends Error {
  constructor(
    reason: string,
    readonly unknownTopic: boolean,
  ) {
    super(reason);
    this.name = 'ProducerThreadError';
  }
}

export interface ProducerThread {
  connect(): Promise<void>;
  send(topic: string, messages: readonly EventMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export function createProducerThread(
  setup: ProducerThreadSetup,
  deps: { logger: Logger; gate: LogGate },
): ProducerThread {
  const log = createKafkaLogCreator(deps.logger, deps.gate)(logLevel.WARN);
  const pending = new Map<number, { resolve(): void; reject(err: Error): void }>();
  let nextId = 0;
  let worker: Worker | undefined;
  let closing = false;

  const start = (): Worker => {
    const started = new Worker(WORKER_ENTRY, { workerData: setup });
    started.on('message', (reply: ProducerThreadReply) => {
      if (reply.kind === 'log') {
        log({
          namespace: reply.namespace,
          level: reply.level === 'error' ? logLevel.ERROR : logLevel.WARN,
          label: reply.level.toUpperCase(),
          log: { message: reply.message, timestamp: new Date().toISOString(), ...reply.fields },
        });
        return;
      }
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.kind === 'done') waiting?.resolve();
      else waiting?.reject(new ProducerThreadError(reply.reason, reply.unknownTopic));
    });
    const lost = (reason: string) => {
      if (worker !== started) return;
      worker = undefined;
      for (const { reject } of pending.values()) reject(new ProducerThreadError(reason, false));
      pending.clear();
      if (!closing)
        deps.logger.error(
          { reason },
          'the Kafka producer thread stopped; a new one starts with the next send',
        );
    };
    started.on('error', (err) => lost(`the producer thread failed: ${err.message}`));
    started.on('exit', (code) => lost(`the producer thread exited with code ${code}`));
    return started;
  };

  const request = (message: ProducerThreadRequest, transfer: ArrayBuffer[] = []): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      pending.set(message.id, { resolve, reject });
      worker ??= start();
      worker.postMessage(message, transfer);
    });

  return {
    connect: () => request({ kind: 'connect', id: nextId++ }),
    async send(topic, messages) {
      const offsets = [0];
      for (const { value } of messages) offsets.push(offsets[offsets.length - 1]! + value.length);
      // allocUnsafeSlow: a buffer of its own (never a slice of the shared pool), so it can be transferred.
      const packed = Buffer.allocUnsafeSlow(offsets[offsets.length - 1]!);
      messages.forEach(({ value }, i) => {
        value.copy(packed, offsets[i]);
      });
      const withHeaders = messages.some((m) => m.headers !== undefined);
      const values = packed.buffer as ArrayBuffer;
      await request(
        {
          kind: 'send',
          id: nextId++,
          topic,
          keys: messages.map((m) => m.key),
          values,
          offsets,
          ...(withHeaders ? { headers: messages.map((m) => m.headers) } : {}),
        },
        [values],
      );
    },
    async disconnect() {
      if (worker === undefined) return;
      closing = true;
      try {
        await request({ kind: 'disconnect', id: nextId++ }).catch(() => undefined);
        await worker?.terminate();
      } finally {
        closing = false;
      }
    },
  };
}
