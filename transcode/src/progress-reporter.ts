/**
 * Writes encode progress to the catalog at most once per interval, one write at a time, and lets
 * the caller wait for the last one before it writes the final status (a late 'processing' write
 * must never land after 'failed').
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { updateVideoStatus } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';

export interface ProgressReporter {
  /** `encodedSec` of `durationSec` done; cheap to call on every ffmpeg progress line. */
  report(encodedSec: number): void;
  /** Stops reporting and waits for a write in flight. */
  close(): Promise<void>;
}

export function createProgressReporter(deps: {
  catalog: Catalog;
  logger: Logger;
  videoId: string;
  durationSec: number;
  minIntervalMs?: number;
  now?: () => number;
}): ProgressReporter {
  const { catalog, logger, videoId, durationSec } = deps;
  const minIntervalMs = deps.minIntervalMs ?? 1_000;
  const now = deps.now ?? Date.now;
  let last = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> = Promise.resolve();
  let writing = false;
  let closed = false;

  return {
    report(encodedSec) {
      if (closed || writing || now() - last < minIntervalMs) return;
      last = now();
      // 99 at most: 100 means the renditions are stored, which only 'ready' says.
      const progressPercent = Math.min(99, Math.max(0, Math.round((encodedSec / durationSec) * 1000) / 10));
      writing = true;
      pending = updateVideoStatus(catalog, videoId, { status: 'processing', progressPercent })
        .then(
          () => undefined,
          (err: unknown) =>
            logger.warn({ videoId, reason: reasonOf(err) }, 'could not record transcode progress'),
        )
        .finally(() => {
          writing = false;
        });
    },
    async close() {
      closed = true;
      await pending;
    },
  };
}
