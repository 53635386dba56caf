/**
 * Publishes outbox rows to the event log. Every process that writes outbox rows runs a relay (ingest,
 * transcode, the single-process stack), so a process's events never wait for another service to be
 * up. Rows are claimed with FOR UPDATE SKIP LOCKED, published and marked in one transaction, so
 * several relays — and a writer publishing its own rows right after commit (`publishCommitted`) —
 * never publish the same row twice; a failed publish rolls the claim back and the next pass retries.
 */
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { EventLog } from '@streamloop/event-log/event-log';
import type { Catalog, Queryable } from './catalog.js';
import { claimUnpublishedOutbox, markOutboxPublished, type OutboxMessage } from './outbox-repository.js';

export interface OutboxRelayDeps {
  catalog: Catalog;
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
  /** Pause between passes: how late an event can be when its writer did not publish it itself. */
  intervalMs?: number;
  /** Rows younger than this are left to the writer that is publishing them right now. */
  minAgeMs?: number;
  batchSize?: number;
}

export interface OutboxRelay {
  start(): void;
  /** Waits for a pass in flight. */
  stop(): Promise<void>;
  /** One pass now; resolves with how many rows it published (rejects when publishing failed). */
  runOnce(): Promise<number>;
}

export const DEFAULT_RELAY_INTERVAL_MS = 1_000;

export function createOutboxRelay(deps: OutboxRelayDeps): OutboxRelay {
  const { catalog, eventLog, logger } = deps;
  const intervalMs = deps.intervalMs ?? DEFAULT_RELAY_INTERVAL_MS;
  const minAgeMs = deps.minAgeMs ?? 0;
  const batchSize = deps.batchSize ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> | undefined;
  let running = false;

  const runOnce = (): Promise<number> =>
    catalog.transaction(async (tx) => {
      const messages = await claimUnpublishedOutbox(tx, batchSize, { minAgeMs });
      await publishOutboxMessages(eventLog, tx, messages);
      return messages.length;
    });

  const tick = async (): Promise<void> => {
    try {
      const published = await runOnce();
      if (published > 0) logger.debug({ published }, 'outbox relay published pending messages');
    } catch (err) {
      logger.warn({ reason: reasonOf(err) }, 'outbox relay could not publish; will retry');
    }
  };

  const schedule = (): void => {
    if (!running) return;
    timer = setTimeout(() => {
      inFlight = tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  };

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

/**
 * A writer publishing the rows it just committed, without waiting for a relay pass. Claims them
 * first, so a relay that got there already (or is publishing them now) wins and nothing goes twice.
 * Rejects when publishing failed; the rows then stay for the relay.
 */
export function publishCommitted(
  deps: { catalog: Catalog; eventLog: Pick<EventLog, 'publish'> },
  ids: readonly number[],
): Promise<number> {
  return deps.catalog.transaction(async (tx) => {
    const messages = await claimUnpublishedOutbox(tx, ids.length, { ids });
    await publishOutboxMessages(deps.eventLog, tx, messages);
    return messages.length;
  });
}

/** Publishes claimed rows (grouped per topic, in id order) and marks them published through `tx`. */
async function publishOutboxMessages(
  eventLog: Pick<EventLog, 'publish'>,
  tx: Queryable,
  messages: readonly OutboxMessage[],
): Promise<void> {
  const byTopic = new Map<string, OutboxMessage[]>();
  for (const message of messages)
    byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
  for (const [topic, group] of byTopic) {
    await eventLog.publish(
      topic,
      group.map((m) => ({ key: m.key, value: Buffer.from(JSON.stringify(m.payload)) })),
    );
    await markOutboxPublished(
      tx,
      group.map((m) => m.id),
    );
  }
}
