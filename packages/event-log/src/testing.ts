/**
 * For tests of any package (not for production code): a Kafka event log for a test file (KAFKA_BROKERS; a missing or unreachable broker fails loudly),
 * and the clean-up of the groups and topics it made.
 */
import { loadConfig } from '@streamloop/core/config';
import { createLogger } from '@streamloop/core/logger';
import { assertReachable, requireService } from '@streamloop/core/testing';
import type { EventLog } from './event-log.js';
import { createKafkaClient } from './kafka-client.js';
import { createKafkaEventLog } from './kafka-event-log.js';

const kafkaConfig = loadConfig(process.env).kafka;
export const kafkaAddress = kafkaConfig?.brokers.join(',') ?? 'KAFKA_BROKERS not set';
const logger = createLogger({ name: 'kafka-test-log', level: 'silent' });

export async function openKafkaLog(clientId: string): Promise<EventLog> {
  const { brokers } = requireService('Kafka', 'KAFKA_BROKERS', kafkaConfig);
  let log: EventLog | undefined;
  await assertReachable('Kafka', kafkaAddress, async () => {
    log = await createKafkaEventLog({ brokers, clientId }, { logger });
  });
  if (log === undefined) throw new Error(`Kafka at ${kafkaAddress} gave no event log`);
  return log;
}

/** Deletes the consumer groups and topics a test made (what is already gone is fine). */
export async function deleteKafkaLeftovers(left: { groups?: string[]; topics?: string[] }): Promise<void> {
  if (kafkaConfig === undefined) return;
  const admin = createKafkaClient(
    { ...kafkaConfig, clientId: 'kafka-test-cleanup' },
    { logger, gate: { muted: true } },
  ).admin();
  await admin.connect();
  if (left.groups?.length) await admin.deleteGroups(left.groups).catch(() => undefined);
  if (left.topics?.length) await admin.deleteTopics({ topics: left.topics }).catch(() => undefined);
  await admin.disconnect();
}
