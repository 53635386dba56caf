/**
 * Removes unfinished uploads after the expiration period (tus expiration extension): on S3 their
 * multipart uploads are aborted, so no parts are left behind. Runs on a timer while the app runs.
 */
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { IngestMetrics } from './ingest-metrics.js';
import type { UploadStore } from './upload-store.js';

export interface ExpirySweeper {
  start(): void;
  /** Waits for a sweep in flight. */
  stop(): Promise<void>;
  /** One sweep now; resolves with how many uploads it removed. */
  runOnce(): Promise<number>;
}

export function createExpirySweeper(deps: {
  store: UploadStore;
  metrics: IngestMetrics;
  logger: Logger;
  intervalMs: number;
}): ExpirySweeper {
  const { store, metrics, logger, intervalMs } = deps;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> | undefined;

  const runOnce = async (): Promise<number> => {
    const swept = await store.sweepExpired();
    if (swept > 0) {
      metrics.uploadsExpired.inc(swept);
      logger.info({ swept }, 'expired unfinished uploads removed');
    }
    return swept;
  };

  return {
    runOnce,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        if (inFlight !== undefined) return;
        inFlight = runOnce()
          .catch((err: unknown) =>
            logger.warn({ reason: reasonOf(err) }, 'expired upload sweep failed; next tick retries'),
          )
          .finally(() => {
            inFlight = undefined;
          });
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await inFlight;
    },
  };
}
