/**
 * Reads the letters back, as an operator's tool or a test would: a fresh group from the beginning of
 * the dead-letter topic, each letter parsed into core's `DeadLetter` as it arrives.
 */
import type { DeadLetter } from '@streamloop/core/schemas/dead-letter';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog, Subscription } from './event-log.js';

export interface DeadLetterReader {
  /** Every letter read so far, in log order per partition. */
  readonly letters: DeadLetter[];
  stop(): Promise<void>;
}

export async function readDeadLetters(
  eventLog: Pick<EventLog, 'subscribe'>,
  options: { groupId: string; topic?: string },
): Promise<DeadLetterReader> {
  const letters: DeadLetter[] = [];
  const subscription: Subscription = await eventLog.subscribe({
    groupId: options.groupId,
    topics: [options.topic ?? TOPICS.deadLetter.name],
    fromBeginning: true,
    async handleBatch(batch) {
      for (const m of batch.messages) letters.push(JSON.parse(m.value.toString('utf8')) as DeadLetter);
    },
  });
  return { letters, stop: () => subscription.stop() };
}
