/**
 * Publishes outbox rows that the writer could not publish itself (event log down at the moment of
 * commit, or the process died in between). Rows are claimed with FOR UPDATE SKIP LOCKED, published,
 * and marked in one transaction, so several relays never publish the same row twice; a failed
 * publish rolls the claim back and the next tick tries again.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { claimUnpublishedOutbox } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { EventLog } from '@streamloop/event-log/event-log';
import { publishOutboxMessages } from './publish-outbox.js';

export interface OutboxRelayDeps {
  catalog: Catalog;
  eventLog: EventLog;
  logger: Logger;
  /** Pause between passes. */
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

export function createOutboxRelay(deps: OutboxRelayDeps): OutboxRelay {
  const { catalog, eventLog, logger } = deps;
  const intervalMs = deps.intervalMs ?? 5_000;
  const minAgeMs = deps.minAgeMs ?? 10_000;
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
      if (published > 0) logger.info({ published }, 'outbox relay published pending messages');
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
