/**
 * The dead-letter output: where a consumer puts a message that will never be processed (a poison
 * message, a job whose attempts are used up) so that a person can look at it, instead of dropping
 * it or crashing on it forever. One letter (core's `DeadLetter`) per message, written before the
 * source offset is committed: `send` resolves once the log has the letter and throws when it cannot,
 * so the message is redelivered rather than lost.
 */
import type { DeadLetter } from '@streamloop/core/schemas/dead-letter';
import { TOPICS } from '@streamloop/core/topics';
import type { ConsumedMessage, EventLog } from './event-log.js';

export interface DeadLetterOutputOptions {
  eventLog: Pick<EventLog, 'publish'>;
  /** The service that gives up on the messages, recorded on every letter. */
  service: string;
  /** Defaults to `TOPICS.deadLetter.name`; tests on a shared Kafka pass a topic of their own. */
  topic?: string;
  now?: () => Date;
}

export interface DeadLetterOutput {
  readonly topic: string;
  send(message: ConsumedMessage, reason: string, detail: string): Promise<void>;
}

/** Header values stay short: a consumer may route on them without reading the body. */
const MAX_HEADER_CHARS = 200;

export function toDeadLetter(
  message: ConsumedMessage,
  why: { reason: string; detail: string; service: string; deadAt: Date },
): DeadLetter {
  const text = message.value.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(message.value);
  return {
    reason: why.reason,
    detail: why.detail,
    service: why.service,
    source: { topic: message.topic, partition: message.partition, offset: message.offset, key: message.key },
    value: isText ? text : message.value.toString('base64'),
    valueEncoding: isText ? 'utf8' : 'base64',
    deadAt: why.deadAt.toISOString(),
  };
}

export function createDeadLetterOutput(options: DeadLetterOutputOptions): DeadLetterOutput {
  const topic = options.topic ?? TOPICS.deadLetter.name;
  const now = options.now ?? (() => new Date());
  return {
    topic,
    async send(message, reason, detail) {
      const letter = toDeadLetter(message, { reason, detail, service: options.service, deadAt: now() });
      await options.eventLog.publish(topic, [
        {
          key: message.key,
          value: Buffer.from(JSON.stringify(letter)),
          headers: {
            'streamloop-reason': reason.slice(0, MAX_HEADER_CHARS),
            'streamloop-service': options.service,
          },
        },
      ]);
    },
  };
}
