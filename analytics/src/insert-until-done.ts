import type { Logger } from '@streamloop/core/logger';
import type { Counter } from '@streamloop/core/metrics';
import { type BackoffOptions, retryUntilOk } from '@streamloop/event-log/backoff';
import type { Ok, Retry } from '@streamloop/event-log/step-result';
import type { BatchContext } from '@streamloop/event-log/supervised-consumer';

/**
 * A consumer's batch insert, tried until it lands (or the batch is abandoned, uncommitted). If an
 * abandoned insert lands later after all, the redelivered batch's same dedup token keeps it counted once.
 */
export function insertUntilDone(
  attempt: () => Promise<Ok<number> | Retry>,
  deps: {
    backoff: BackoffOptions;
    context: BatchContext;
    logger: Logger;
    retries: Counter;
    dedupToken: string;
    /** What is inserted, for the log line: `beacon`, `exposure`. */
    noun: string;
  },
): Promise<number> {
  const { context, logger } = deps;
  return retryUntilOk(attempt, {
    backoff: deps.backoff,
    signal: context.signal,
    onRetry(err, attempt, retryInMs) {
      deps.retries.inc();
      // Failing, not stalled: a store outage is not cured by resubscribing.
      context.alive();
      logger[attempt <= 3 ? 'warn' : 'error'](
        { err, attempt, retryInMs, dedupToken: deps.dedupToken },
        `${deps.noun} insert failed; retrying the same batch`,
      );
    },
  });
}
