/**
 * Forgets a deleted video's features: on `video.deleted.v1` (video-events, written by the catalog in
 * the statement that deleted the row) it removes the video's keys from the feature store. Analytics
 * owns those keys (core's `videoFeatureKeys`), so it deletes them; ingest only announces the deletion.
 *
 * Deliberately plain (subscribe, handle, resubscribe after a crash): it moves onto event-log's
 * supervised consumer when that lands. Deleting keys is idempotent, so a redelivered batch is harmless.
 */
import { videoFeatureKeys } from '@streamloop/core/feature-keys';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { Counter, metricName, type Registry } from '@streamloop/core/metrics';
import { VideoEvent } from '@streamloop/core/schemas/video-event';
import { EVENT_NAMES, TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import type { Batch, EventLog, Subscription } from '@streamloop/event-log/event-log';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF, sleep } from '../backoff.js';

export interface DeletedVideoConsumerDeps {
  eventLog: EventLog;
  featureStore: Pick<FeatureStore, 'del'>;
  logger: Logger;
  registry: Registry;
  /** Tests on a shared Kafka pass a group of their own. */
  groupId?: string;
  backoff?: BackoffOptions;
}

export interface DeletedVideoConsumer {
  /** Resolves once subscribed. */
  start(): Promise<void>;
  /** Abandons a retry in flight (uncommitted, so it comes again) and leaves the group. */
  stop(): Promise<void>;
}

const isVideoEvent = createValidator(VideoEvent);

export function createDeletedVideoConsumer(deps: DeletedVideoConsumerDeps): DeletedVideoConsumer {
  const { eventLog, featureStore, logger } = deps;
  const groupId = deps.groupId ?? 'analytics-video-events';
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const forgotten = new Counter({
    name: metricName('analytics', 'deleted_videos_forgotten_total'),
    help: 'Deleted videos whose feature-store keys analytics removed',
    registers: [deps.registry],
  });
  const stopping = new AbortController();
  let subscription: Subscription | undefined;
  let supervising: Promise<void> | undefined;

  async function forget(videoId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await featureStore.del(...videoFeatureKeys(videoId));
        forgotten.inc();
        return;
      } catch (err) {
        // Not committed until it worked: a feature-store outage delays forgetting, never skips it.
        const retryInMs = backoffDelayMs(attempt, backoff);
        logger.warn({ videoId, reason: reasonOf(err), retryInMs }, 'could not delete features; retrying');
        await sleep(retryInMs, stopping.signal);
      }
    }
  }

  async function handleBatch(batch: Batch): Promise<void> {
    for (const message of batch.messages) {
      let event: unknown;
      try {
        event = JSON.parse(message.value.toString('utf8'));
      } catch {
        event = undefined;
      }
      const checked = isVideoEvent(event);
      if (!checked.ok) {
        logger.warn(
          { partition: batch.partition, offset: message.offset },
          'skipped a malformed video event',
        );
        continue;
      }
      if (checked.value.event === EVENT_NAMES.videoDeleted) await forget(checked.value.videoId);
    }
  }

  const subscribe = () =>
    eventLog.subscribe({
      groupId,
      topics: [TOPICS.videoEvents.name],
      // A deletion announced before analytics first ran still has keys to forget.
      fromBeginning: true,
      handleBatch,
    });

  async function supervise(): Promise<void> {
    for (let crashes = 0; !stopping.signal.aborted; crashes++) {
      try {
        await subscription?.done;
        return;
      } catch (err) {
        if (stopping.signal.aborted) return;
        const retryInMs = backoffDelayMs(crashes, backoff);
        logger.error(
          { reason: reasonOf(err), retryInMs },
          'video-events subscription crashed; resubscribing',
        );
        try {
          await sleep(retryInMs, stopping.signal);
          subscription = await subscribe();
          // stop() came while joining: it could not see this subscription, so leave it here.
          if (stopping.signal.aborted) await subscription.stop();
        } catch {
          // Stopped while waiting, or the log is unreachable: the loop decides which.
        }
      }
    }
  }

  return {
    async start() {
      subscription = await subscribe();
      supervising = supervise();
    },
    async stop() {
      stopping.abort(new Error('the deleted-video consumer is stopping'));
      await subscription?.stop().catch(() => undefined);
      await supervising;
    },
  };
}
