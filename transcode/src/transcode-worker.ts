/**
 * The transcode worker: a member of a consumer group on `transcode-jobs`, one job at a time, each
 * committed on its own (batches of one). Bad messages are logged and skipped; bad inputs end as
 * 'failed' videos; infrastructure errors crash the subscription so the job is redelivered, and the
 * worker joins again after a backoff. A job that keeps failing that way is given up after
 * `maxAttempts` and its video marked 'failed', so no job retries forever or blocks its partition.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { updateVideoStatus } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TranscodeJob } from '@streamloop/core/schemas/job';
import { TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import type { Batch, ConsumedMessage, EventLog, Subscription } from '@streamloop/event-log/event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { createJobHandler } from './handle-transcode-job.js';
import type { Ladder } from './plan-ladder.js';
import { createTranscodeMetrics } from './transcode-metrics.js';

export interface TranscodeWorkerDeps {
  eventLog: EventLog;
  objectStore: ObjectStore;
  catalog: Catalog;
  logger: Logger;
  registry: Registry;
  /** Scratch space for sources and renditions; one folder per job, removed after it. */
  workDir: string;
  groupId?: string;
  /** Defaults to `transcode-jobs`; tests against a shared Kafka use a topic of their own. */
  topic?: string;
  maxAttempts?: number;
  /** First pause before joining again after a crash; doubles up to 30 s. */
  retryBackoffMs?: number;
  ladder?: Ladder;
}

export interface TranscodeWorker {
  start(): Promise<void>;
  /** Kills an encode in flight (its job is redelivered, not failed) and leaves the group. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;
const MAX_TRACKED_JOBS = 10_000;

export function createTranscodeWorker(deps: TranscodeWorkerDeps): TranscodeWorker {
  const { eventLog, catalog, logger } = deps;
  const groupId = deps.groupId ?? 'transcode';
  const maxAttempts = deps.maxAttempts ?? 3;
  const firstBackoffMs = deps.retryBackoffMs ?? 1_000;
  const metrics = createTranscodeMetrics(deps.registry);
  const validateJob = createValidator(TranscodeJob);
  const handleJob = createJobHandler(deps);
  // Failed attempts per job id. In memory: redelivery after a crash comes back to this worker when
  // it is the group's only member; with several members each counts its own (bounded either way).
  const attempts = new Map<string, number>();

  let subscription: Subscription | undefined;
  let current: AbortController | undefined;
  let stopping = false;
  let backoffMs = firstBackoffMs;
  let rejoinTimer: NodeJS.Timeout | undefined;

  const processMessage = async (message: ConsumedMessage): Promise<void> => {
    let payload: unknown;
    try {
      payload = JSON.parse(message.value.toString('utf8'));
    } catch {
      payload = undefined;
    }
    const checked = validateJob(payload);
    if (!checked.ok) {
      metrics.jobs.inc({ outcome: 'invalid' });
      logger.error(
        { key: message.key, partition: message.partition, offset: message.offset, issues: checked.issues },
        'skipping a transcode message that is not a TranscodeJob',
      );
      return;
    }
    const job = checked.value;
    const attempt = Math.max(job.attempt, (attempts.get(job.jobId) ?? 0) + 1);
    const log = logger.child({ videoId: job.videoId, jobId: job.jobId, attempt });
    current = new AbortController();
    try {
      log.info('transcode job started');
      const outcome = await handleJob(job, current.signal);
      attempts.delete(job.jobId);
      metrics.jobs.inc({ outcome: outcome.kind });
      if (outcome.kind === 'ready') {
        metrics.encodeSeconds.observe(outcome.encodeSeconds);
        log.info({ encodeSeconds: outcome.encodeSeconds, renditions: outcome.renditions }, 'video ready');
      } else {
        log.info({ outcome: outcome.kind, reason: outcome.reason }, `transcode job ${outcome.kind}`);
      }
    } catch (err) {
      if (stopping) throw err; // killed by stop(): redelivered later, not an attempt
      if (attempt < maxAttempts) {
        remember(job.jobId, attempt);
        metrics.jobs.inc({ outcome: 'retried' });
        log.error(
          { err },
          `transcode attempt ${attempt} of ${maxAttempts} failed; the job will be redelivered`,
        );
        throw err;
      }
      // Throws (and so retries) only if the catalog itself is down: then nothing else could be done.
      const reason = `transcode failed after ${attempt} attempts: ${reasonOf(err)}`;
      await updateVideoStatus(catalog, job.videoId, { status: 'failed', error: reason });
      attempts.delete(job.jobId);
      metrics.jobs.inc({ outcome: 'gave_up' });
      log.error({ err }, 'transcode job given up; video marked failed');
    } finally {
      current = undefined;
    }
  };

  const remember = (jobId: string, attempt: number): void => {
    if (attempts.size >= MAX_TRACKED_JOBS) attempts.delete(attempts.keys().next().value!);
    attempts.set(jobId, attempt);
  };

  const handleBatch = async (batch: Batch): Promise<void> => {
    for (const message of batch.messages) await processMessage(message);
    backoffMs = firstBackoffMs;
  };

  const join = async (): Promise<void> => {
    const joined = await eventLog.subscribe({
      groupId,
      topics: [deps.topic ?? TOPICS.transcodeJobs.name],
      maxBatchSize: 1,
      // A new group must still see jobs published before any worker ever joined (ingest may run
      // first), and a job whose first handler crashed before any commit must come back.
      fromBeginning: true,
      handleBatch,
    });
    subscription = joined;
    joined.done.catch(() => {
      if (stopping || subscription !== joined) return;
      logger.warn({ groupId, retryInMs: backoffMs }, 'transcode subscription crashed; joining again');
      scheduleRejoin();
    });
  };

  const scheduleRejoin = (): void => {
    const delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    rejoinTimer = setTimeout(() => {
      if (stopping) return;
      join().catch((err: unknown) => {
        logger.error({ reason: reasonOf(err) }, 'could not join the transcode group; trying again');
        scheduleRejoin();
      });
    }, delay);
  };

  return {
    async start() {
      stopping = false;
      await join();
    },
    async stop() {
      stopping = true;
      clearTimeout(rejoinTimer);
      current?.abort();
      await subscription?.stop();
    },
  };
}
