/**
 * The one producer configuration of the Kafka event log, shared by the in-process producer and the
 * producer thread, and how a kafkajs send error says "no such topic".
 */
import { Partitioners, type ProducerConfig } from 'kafkajs';

export const PRODUCER_SETTINGS: ProducerConfig = {
  idempotent: true,
  maxInFlightRequests: 1, // with idempotence: per-partition order survives retries
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2, same key → same partition
};

/** kafkajs wraps the broker's error in retry errors; the protocol error type sits somewhere in `cause`. */
export function isUnknownTopic(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if ((current as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
