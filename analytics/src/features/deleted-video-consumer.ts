/**
 * Forgets a deleted video's features: on `video.deleted.v1` (video-events, written by the catalog in
 * the statement that deleted the row) it removes the video's keys from the feature store. Analytics
 * owns those keys (core's `videoFeatureKeys`), so it deletes them; ingest only announces the deletion.
 *
 * Runs on event-log's supervised consumer. Deleting keys is idempotent, so a redelivered batch is
 * harmless; a feature-store outage is retried (the offset stays uncommitted), never skipped; a message
 * that is not a video event goes to the dead-letter topic with its reason.
 */
import { reasonOf } from '@streamloop/core/errors';
import { videoFeatureKeys } from '@streamloop/core/feature-keys';
import type { Logger } from '@streamloop/core/logger';
import { Counter, metricName, type Registry } from '@streamloop/core/metrics';
import { VideoEvent } from '@streamloop/core/schemas/video-event';
import { EVENT_NAMES, TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import { type BackoffOptions, DEFAULT_BACKOFF, retryUntilOk } from '@streamloop/event-log/backoff';
import { createDeadLetterOutput } from '@streamloop/event-log/dead-letter-output';
import type { Batch, ConsumedMessage, EventLog } from '@streamloop/event-log/event-log';
import { type DeadLetter, deadLetter, type Ok, ok, retry } from '@streamloop/event-log/step-result';
import { type BatchContext, createSupervisedConsumer } from '@streamloop/event-log/supervised-consumer';
import type { FeatureStore } from '@streamloop/feature-store/feature-store';

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

/** A message of video-events as a `VideoEvent`, or a dead letter saying why it is not one. */
function parseVideoEventStep(message: ConsumedMessage): Ok<VideoEvent> | DeadLetter<'invalid_video_event'> {
  let value: unknown;
  try {
    value = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return deadLetter('invalid_video_event', `not JSON: ${reasonOf(err)}`);
  }
  const checked = isVideoEvent(value);
  if (checked.ok) return ok(checked.value);
  return deadLetter('invalid_video_event', checked.issues.map((i) => `${i.path} ${i.message}`).join('; '));
}

export function createDeletedVideoConsumer(deps: DeletedVideoConsumerDeps): DeletedVideoConsumer {
  const { eventLog, featureStore, logger } = deps;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const forgotten = new Counter({
    name: metricName('analytics', 'deleted_videos_forgotten_total'),
    help: 'Deleted videos whose feature-store keys analytics removed',
    registers: [deps.registry],
  });
  const deadLetters = createDeadLetterOutput({ eventLog, service: 'analytics' });

  const forget = (videoId: string, context: BatchContext) =>
    retryUntilOk(
      async () => {
        try {
          return ok(await featureStore.del(...videoFeatureKeys(videoId)));
        } catch (err) {
          return retry(err);
        }
      },
      {
        backoff,
        signal: context.signal,
        onRetry(err, attempt, retryInMs) {
          // Failing, not stalled: a Redis outage is not cured by resubscribing.
          context.alive();
          logger.warn(
            { videoId, reason: reasonOf(err), attempt, retryInMs },
            'could not delete features; retrying',
          );
        },
      },
    );

  async function handleBatch(batch: Batch, context: BatchContext): Promise<void> {
    for (const message of batch.messages) {
      const parsed = parseVideoEventStep(message);
      if (parsed.kind === 'dead_letter') {
        await deadLetters.send(message, parsed.reason, parsed.detail);
        continue;
      }
      if (parsed.value.event !== EVENT_NAMES.videoDeleted) continue;
      await forget(parsed.value.videoId, context);
      forgotten.inc();
    }
  }

  return createSupervisedConsumer({
    eventLog,
    logger,
    registry: deps.registry,
    name: { service: 'analytics', noun: 'video_events_consumer' },
    groupId: deps.groupId ?? 'analytics-video-events',
    topic: TOPICS.videoEvents.name,
    // A deletion announced before analytics first ran still has keys to forget.
    fromBeginning: true,
    backoff,
    handleBatch,
  });
}
