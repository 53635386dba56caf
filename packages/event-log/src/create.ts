/**
 * Picks the EventLog adapter from config: KAFKA_BROKERS unset → the embedded file log under the
 * data dir (`<dataDir>/event-log`, durable across restarts); set → Kafka, verified before anything
 * uses it so a wrong address stops the start with one line — unless the caller can serve without
 * it (`connectInBackground`).
 */
import { type Config, embeddedPath } from '@streamloop/core/config';
import { DependencyUnavailableError, reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { EventLog } from './event-log.js';
import { createFileEventLog } from './file-event-log.js';
import { createKafkaEventLog } from './kafka-event-log.js';

/** How a process wants its Kafka event log (the embedded one ignores both). */
export interface EventLogOpenOptions {
  /** The process serves without Kafka: no start-up check, the adapter keeps connecting on its own. */
  connectInBackground?: boolean;
  /** Publish from a thread of its own (KafkaEventLogOptions.producerThread). */
  producerThread?: boolean;
}

export async function createEventLog(
  config: Pick<Config, 'kafka' | 'dataDir'>,
  deps: { logger: Logger },
  options: EventLogOpenOptions = {},
): Promise<EventLog> {
  if (config.kafka === undefined) {
    return createFileEventLog({ dir: embeddedPath(config, 'event-log') }, { logger: deps.logger });
  }
  const kafka = {
    ...config.kafka,
    connectTimeoutMs: 10_000,
    producerThread: options.producerThread === true,
  };
  if (options.connectInBackground === true) {
    return createKafkaEventLog({ ...kafka, connect: 'background' }, deps);
  }
  try {
    return await createKafkaEventLog(kafka, deps);
  } catch (err) {
    throw new DependencyUnavailableError(
      'Kafka',
      'KAFKA_BROKERS',
      config.kafka.brokers.join(','),
      reasonOf(err),
    );
  }
}
