/**
 * Experiment exposures from the event log into ClickHouse (`experiment_exposures_v1`), at least
 * once, counted once — the beacon consumer's discipline (beacon-consumer.ts) for delivery's
 * `experiment.exposure.v1`: each message is parsed and validated against core's schema (a message
 * that is not one goes to the dead-letter output with its reason, counted), the batch's rows go in
 * ONE insert carrying the batch's dedup token (`dedupTokenOf`), and the event log commits the
 * offsets only after it. A redelivered batch inserts under the same token, which ClickHouse drops.
 */
import type { AnalyticsStore } from '@streamloop/analytics-store/analytics-store';
import { encodeNativeBlock, type NativeColumn } from '@streamloop/analytics-store/native-block';
import type { Logger } from '@streamloop/core/logger';
import { Counter, metricName, type Registry } from '@streamloop/core/metrics';
import { ExperimentExposure } from '@streamloop/core/schemas/experiment-exposure';
import { TOPICS } from '@streamloop/core/topics';
import { createValidator, describeIssues } from '@streamloop/core/validate';
import { type BackoffOptions, DEFAULT_BACKOFF } from '@streamloop/event-log/backoff';
import type { ConsumerWatchdogOptions } from '@streamloop/event-log/consumer-watchdog';
import { createDeadLetterOutput } from '@streamloop/event-log/dead-letter-output';
import type { Batch, ConsumedMessage, EventLog } from '@streamloop/event-log/event-log';
import { type DeadLetter, deadLetter, type Ok, ok, retry } from '@streamloop/event-log/step-result';
import {
  type BatchContext,
  createSupervisedConsumer,
  type SupervisedConsumer,
} from '@streamloop/event-log/supervised-consumer';
import { dedupTokenOf } from './beacon-consumer.js';
import { insertUntilDone } from './insert-until-done.js';

export const EXPOSURES_TABLE = 'experiment_exposures_v1';

/** Why an exposure message never reaches the table; each is also on the dead-letter topic. */
export type ExposureDropReason = 'invalid_json' | 'invalid_exposure';
const EXPOSURE_DROP_REASONS: readonly ExposureDropReason[] = ['invalid_json', 'invalid_exposure'];

export interface ExposureRow {
  experiment_id: string;
  arm: string;
  viewer_id: string;
  video_id: string;
  exposed_at: number;
  synthetic: boolean;
  kafka_partition: number;
  kafka_offset: string;
}

/** The table's columns (migrations/009), in its order. */
const COLUMNS: readonly NativeColumn[] = [
  { name: 'experiment_id', type: 'String' },
  { name: 'arm', type: 'String' },
  { name: 'viewer_id', type: 'String' },
  { name: 'video_id', type: 'String' },
  { name: 'exposed_at', type: "DateTime64(3, 'UTC')" },
  { name: 'synthetic', type: 'Bool' },
  { name: 'kafka_partition', type: 'UInt32' },
  { name: 'kafka_offset', type: 'UInt64' },
];

const validate = createValidator(ExperimentExposure);

/** One message as its row, or why it is poison. */
export function exposureRowStep(message: ConsumedMessage): Ok<ExposureRow> | DeadLetter<ExposureDropReason> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return deadLetter('invalid_json', (err as Error).message);
  }
  const checked = validate(parsed);
  if (!checked.ok) return deadLetter('invalid_exposure', describeIssues(checked.issues));
  const exposure = checked.value;
  const exposedAt = Date.parse(exposure.exposedAt);
  if (Number.isNaN(exposedAt)) return deadLetter('invalid_exposure', `/exposedAt: not a date`);
  return ok({
    experiment_id: exposure.experimentId,
    arm: exposure.arm,
    viewer_id: exposure.viewerId,
    video_id: exposure.videoId,
    exposed_at: exposedAt,
    synthetic: exposure.synthetic,
    kafka_partition: message.partition,
    kafka_offset: message.offset,
  });
}

export interface ExposureConsumerDeps {
  eventLog: EventLog;
  analyticsStore: Pick<AnalyticsStore, 'database' | 'insertNative'>;
  logger: Logger;
  registry: Registry;
  groupId?: string;
  /** Defaults to `TOPICS.experimentExposures.name`; tests on a shared Kafka pass a topic of their own. */
  topic?: string;
  /** Defaults to `TOPICS.deadLetter.name`. */
  deadLetterTopic?: string;
  backoff?: BackoffOptions;
  maxBatchSize?: number;
  watchdog?: ConsumerWatchdogOptions;
}

export function createExposureConsumer(deps: ExposureConsumerDeps): SupervisedConsumer {
  const { eventLog, logger, analyticsStore: store } = deps;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const metrics = createExposureConsumerMetrics(deps.registry);
  const deadLetters = createDeadLetterOutput({
    eventLog,
    service: 'analytics',
    ...(deps.deadLetterTopic === undefined ? {} : { topic: deps.deadLetterTopic }),
  });
  const table = `${store.database}.${EXPOSURES_TABLE}`;

  async function handleBatch(batch: Batch, context: BatchContext): Promise<void> {
    const rows: ExposureRow[] = [];
    for (const message of batch.messages) {
      const result = exposureRowStep(message);
      if (result.kind === 'ok') {
        rows.push(result.value);
        continue;
      }
      // Written before the offsets are committed; a failed write crashes the batch (redelivered).
      await deadLetters.send(message, result.reason, result.detail);
      metrics.dropped.inc({ reason: result.reason });
      logger.warn(
        { topic: batch.topic, partition: batch.partition, offset: message.offset, reason: result.reason },
        'exposure message not inserted (it is on the dead-letter topic)',
      );
    }
    if (rows.length === 0) return;
    const dedupToken = dedupTokenOf(batch);
    const block = encodeNativeBlock(COLUMNS, rows as unknown as readonly Record<string, unknown>[]);
    const inserted = await insertUntilDone(
      async () => {
        try {
          await store.insertNative(table, block, {
            insert_deduplicate: 1,
            insert_deduplication_token: dedupToken,
          });
          return ok(rows.length);
        } catch (err) {
          return retry(err);
        }
      },
      { backoff, context, logger, retries: metrics.insertRetries, dedupToken, noun: 'exposure' },
    );
    metrics.inserted.inc(inserted);
  }

  return createSupervisedConsumer({
    eventLog,
    logger,
    registry: deps.registry,
    name: { service: 'analytics', noun: 'exposure_consumer' },
    groupId: deps.groupId ?? 'analytics-exposures',
    topic: deps.topic ?? TOPICS.experimentExposures.name,
    // Exposures sent before analytics first ran still count for the split.
    fromBeginning: true,
    maxBatchSize: deps.maxBatchSize ?? 5_000,
    backoff,
    ...(deps.watchdog === undefined ? {} : { watchdog: deps.watchdog }),
    handleBatch,
  });
}

function createExposureConsumerMetrics(registry: Registry) {
  const dropped = new Counter({
    name: metricName('analytics', 'exposures_dropped_total'),
    help: `Exposure messages never inserted, by reason (${EXPOSURE_DROP_REASONS.join(', ')}); all are on the dead-letter topic`,
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of EXPOSURE_DROP_REASONS) dropped.inc({ reason }, 0);
  return {
    dropped,
    inserted: new Counter({
      name: metricName('analytics', 'exposures_inserted_total'),
      help: `Exposures written to ${EXPOSURES_TABLE} (a deduplicated retry counts again)`,
      registers: [registry],
    }),
    insertRetries: new Counter({
      name: metricName('analytics', 'exposure_insert_retries_total'),
      help: 'Failed exposure batch inserts that were retried',
      registers: [registry],
    }),
  };
}
