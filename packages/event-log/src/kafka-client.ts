/**
 * The kafkajs client settings shared by the adapter and its connection check.
 */
import type { Logger } from '@streamloop/core/logger';
import { Kafka, logLevel, type RetryOptions } from 'kafkajs';
import { createKafkaLogCreator, type LogGate } from './kafka-log-creator.js';

/**
 * ~4 s of backoff (250, 500, 1000, 2000 ms) plus connection attempts: a dead broker fails the
 * start-up check well inside the 10 s the stack allows, and a broker restart shorter than that is
 * ridden out by the client instead of reaching callers.
 */
export const KAFKA_RETRY: RetryOptions = { initialRetryTime: 250, maxRetryTime: 2000, retries: 4 };
export const KAFKA_CONNECTION_TIMEOUT_MS = 2000;

export function createKafkaClient(
  options: { brokers: string[]; clientId: string },
  deps: { logger: Logger; gate: LogGate },
): Kafka {
  return new Kafka({
    brokers: options.brokers,
    clientId: options.clientId,
    connectionTimeout: KAFKA_CONNECTION_TIMEOUT_MS,
    retry: KAFKA_RETRY,
    logLevel: logLevel.WARN,
    logCreator: createKafkaLogCreator(deps.logger, deps.gate),
  });
}
