import type { Queryable } from '@streamloop/catalog/catalog';
import { markOutboxPublished, type OutboxMessage } from '@streamloop/catalog/video-repository';
import type { EventLog } from '@streamloop/event-log/event-log';

/** Publishes outbox rows (grouped per topic, in id order) and marks them published through `db`. */
export async function publishOutboxMessages(
  eventLog: EventLog,
  db: Queryable,
  messages: readonly Pick<OutboxMessage, 'id' | 'topic' | 'key' | 'payload'>[],
): Promise<void> {
  const byTopic = new Map<string, (typeof messages)[number][]>();
  for (const message of messages)
    byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
  for (const [topic, group] of byTopic) {
    await eventLog.publish(
      topic,
      group.map((m) => ({ key: m.key, value: Buffer.from(JSON.stringify(m.payload)) })),
    );
    await markOutboxPublished(
      db,
      group.map((m) => m.id),
    );
  }
}
