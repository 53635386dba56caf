/**
 * The dead-letter topic for transcode messages that will never succeed: ones that are not a
 * TranscodeJob, and jobs whose attempts are used up. The original bytes travel unchanged (as text
 * when they are UTF-8, base64 otherwise) with where they came from and why they stopped, keyed like
 * the original so one video's letters stay in order.
 */
import type { ConsumedMessage, EventLog } from '@streamloop/event-log/event-log';

export interface DeadLetter {
  reason: string;
  source: { topic: string; partition: number; offset: string; key: string };
  /** The message value as it was consumed. */
  value: string;
  valueEncoding: 'utf8' | 'base64';
  deadAt: string;
}

export function createDeadLetters(deps: {
  eventLog: Pick<EventLog, 'publish'>;
  topic: string;
  sourceTopic: string;
}) {
  return {
    /** Resolves once the log has the letter; throws (so the job is redelivered) when it cannot. */
    async send(message: ConsumedMessage, reason: string): Promise<void> {
      const text = message.value.toString('utf8');
      const isText = Buffer.from(text, 'utf8').equals(message.value);
      const letter: DeadLetter = {
        reason,
        source: {
          topic: deps.sourceTopic,
          partition: message.partition,
          offset: message.offset,
          key: message.key,
        },
        value: isText ? text : message.value.toString('base64'),
        valueEncoding: isText ? 'utf8' : 'base64',
        deadAt: new Date().toISOString(),
      };
      await deps.eventLog.publish(deps.topic, [
        {
          key: message.key,
          value: Buffer.from(JSON.stringify(letter)),
          headers: { 'streamloop-reason': reason.slice(0, 200) },
        },
      ]);
    },
  };
}
