/**
 * The transcode worker: a member of a consumer group on `transcode-jobs`, one job at a time, each
 * committed on its own (batches of one), so delivery is at least once and every step of a job is
 * idempotent. Bad messages go to the dead-letter topic; bad inputs end as 'failed' videos;
 * infrastructure errors crash the subscription so the job is redelivered, and the worker joins
 * again after a backoff that doubles. Attempts are counted in the catalog as they begin, so a job
 * that keeps failing — or keeps killing its worker — is given up after `maxAttempts` even across
 * restarts: its video is marked 'failed' with the reason and the job goes to the dead-letter topic.
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '@streamloop/catalog/catalog';
import { getJobAttempts, recordJobAttemptError } from '@streamloop/catalog/job-attempts-repository';
import { updateVideoStatus } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TranscodeJob } from '@streamloop/core/schemas/job';
import type { Ladder } from '@streamloop/core/schemas/ladder';
import { TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import type { Batch, ConsumedMessage, EventLog, Subscription } from '@streamloop/event-log/event-log';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { createDeadLetters } from './dead-letters.js';
import { createJobHandler, type JobHandlerDeps } from './handle-transcode-job.js';
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
  /** Defaults to `streamloop-dead-letter`. */
  deadLetterTopic?: string;
  /** Attempts per job, counted in the catalog across restarts; default 3. */
  maxAttempts?: number;
  /** First pause before joining again after a crash; doubles up to 30 s. */
  retryBackoffMs?: number;
  ladder?: Ladder;
  limits?: JobHandlerDeps['limits'];
  encryption?: JobHandlerDeps['encryption'];
}

export interface TranscodeWorker {
  start(): Promise<void>;
  /** Kills an encode in flight (its job is redelivered, not failed) and leaves the group. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;

export function createTranscodeWorker(deps: TranscodeWorkerDeps): TranscodeWorker {
  const { eventLog, catalog, logger } = deps;
  const groupId = deps.groupId ?? 'transcode';
  const maxAttempts = deps.maxAttempts ?? 3;
  const firstBackoffMs = deps.retryBackoffMs ?? 1_000;
  const metrics = createTranscodeMetrics(deps.registry);
  const validateJob = createValidator(TranscodeJob);
  const handleJob = createJobHandler(deps);
  const topic = deps.topic ?? TOPICS.transcodeJobs.name;
  const deadLetters = createDeadLetters({
    eventLog,
    topic: deps.deadLetterTopic ?? TOPICS.deadLetter.name,
    sourceTopic: topic,
  });

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
        'a transcode message that is not a TranscodeJob goes to the dead-letter topic',
      );
      await deadLetters.send(
        message,
        `not a TranscodeJob: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      );
      return;
    }
    const job = checked.value;
    const attemptId = randomUUID();
    const log = logger.child({ videoId: job.videoId, jobId: job.jobId, attemptId });
    current = new AbortController();
    try {
      log.info('transcode attempt started');
      const outcome = await handleJob(job, { attemptId, maxAttempts, signal: current.signal });
      metrics.jobs.inc({ outcome: outcome.kind });
      if (outcome.kind === 'ready') {
        metrics.encodeSeconds.observe(outcome.encodeSeconds);
        log.info({ encodeSeconds: outcome.encodeSeconds, renditions: outcome.renditions }, 'video ready');
      } else if (outcome.kind === 'gave_up') {
        await deadLetters.send(message, outcome.reason);
        log.error({ reason: outcome.reason }, 'transcode job given up; video failed, job dead-lettered');
      } else {
        log.info({ outcome: outcome.kind, reason: outcome.reason }, `transcode job ${outcome.kind}`);
      }
    } catch (err) {
      if (stopping) throw err; // killed by stop(): redelivered later (the next attempt is counted)
      // Throws (and so retries) only if the catalog itself is down: then nothing else could be done.
      await recordJobAttemptError(catalog, job.jobId, reasonOf(err));
      const attempts = (await getJobAttempts(catalog, job.jobId))?.attempts ?? maxAttempts;
      if (attempts < maxAttempts) {
        metrics.jobs.inc({ outcome: 'retried' });
        log.error(
          { err },
          `transcode attempt ${attempts} of ${maxAttempts} failed; the job will be redelivered`,
        );
        throw err;
      }
      const reason = `transcode failed after ${attempts} attempts: ${reasonOf(err)}`;
      await updateVideoStatus(catalog, job.videoId, { status: 'failed', error: reason });
      await deadLetters.send(message, reason);
      metrics.jobs.inc({ outcome: 'gave_up' });
      log.error({ err }, 'transcode job given up; video failed, job dead-lettered');
    } finally {
      current = undefined;
    }
  };

  const handleBatch = async (batch: Batch): Promise<void> => {
    for (const message of batch.messages) await processMessage(message);
    backoffMs = firstBackoffMs;
  };

  const join = async (): Promise<void> => {
    const joined = await eventLog.subscribe({
      groupId,
      topics: [topic],
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
