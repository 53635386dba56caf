/**
 * The transcode worker: a member of a consumer group on `transcode-jobs`, one job at a time, each
 * committed on its own (batches of one), so delivery is at least once and every step of a job is
 * idempotent. Each message ends as one step result: ok (ready), drop (bad input: a 'failed' video;
 * or nothing to do), dead letter (not a TranscodeJob, or attempts used up: the video is 'failed' and
 * the job goes to the dead-letter output with why) or retry (an infrastructure error: the
 * subscription crashes, the job is redelivered and event-log's supervised consumer rejoins after a
 * jittered backoff). Attempts are counted in the catalog as they begin, so a job that keeps failing
 * — or keeps killing its worker — is given up after `maxAttempts` even across restarts.
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '@streamloop/catalog/catalog';
import { getJobAttempts, recordJobAttemptError } from '@streamloop/catalog/job-attempts-repository';
import { failVideoLadder } from '@streamloop/catalog/video-ladder-repository';
import { updateVideoStatus } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import type { Registry } from '@streamloop/core/metrics';
import { TranscodeJob } from '@streamloop/core/schemas/job';
import type { Ladder } from '@streamloop/core/schemas/ladder';
import { TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import { createDeadLetterOutput } from '@streamloop/event-log/dead-letter-output';
import type { Batch, ConsumedMessage, EventLog } from '@streamloop/event-log/event-log';
import { type DeadLetter, deadLetter, retry, type StepResult } from '@streamloop/event-log/step-result';
import { type BatchContext, createSupervisedConsumer } from '@streamloop/event-log/supervised-consumer';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { createJobHandler, type JobHandlerDeps, type ReadyVideo } from './handle-transcode-job.js';
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
  /** First pause before joining again after a crash; doubles (with jitter) up to 30 s. */
  retryBackoffMs?: number;
  ladder?: Ladder;
  limits?: JobHandlerDeps['limits'];
  encryption?: JobHandlerDeps['encryption'];
  contentProbe?: JobHandlerDeps['contentProbe'];
  perTitle?: JobHandlerDeps['perTitle'];
}

export interface TranscodeWorker {
  start(): Promise<void>;
  /** Kills an encode in flight (its job is redelivered, not failed) and leaves the group. */
  stop(): Promise<void>;
}

type JobResult = StepResult<ReadyVideo, 'rejected' | 'skipped' | 'invalid' | 'gave_up'>;

export function createTranscodeWorker(deps: TranscodeWorkerDeps): TranscodeWorker {
  const { eventLog, catalog, logger } = deps;
  const maxAttempts = deps.maxAttempts ?? 3;
  const metrics = createTranscodeMetrics(deps.registry);
  const validateJob = createValidator(TranscodeJob);
  const handleJob = createJobHandler(deps);
  const deadLetters = createDeadLetterOutput({
    eventLog,
    service: 'transcode',
    ...(deps.deadLetterTopic === undefined ? {} : { topic: deps.deadLetterTopic }),
  });

  const parseJobStep = (message: ConsumedMessage): TranscodeJob | DeadLetter<'invalid'> => {
    let payload: unknown;
    try {
      payload = JSON.parse(message.value.toString('utf8'));
    } catch {
      payload = undefined;
    }
    const checked = validateJob(payload);
    if (checked.ok) return checked.value;
    const issues = checked.issues.map((i) => `${i.path} ${i.message}`).join('; ');
    return deadLetter('invalid', `not a TranscodeJob: ${issues}`);
  };

  /** One attempt at the job; an infrastructure error is a retry until the attempts are used up. */
  const runJob = async (job: TranscodeJob, log: Logger, signal: AbortSignal): Promise<JobResult> => {
    const attemptId = randomUUID();
    try {
      log.info({ attemptId }, 'transcode attempt started');
      return await handleJob(job, { attemptId, maxAttempts, signal });
    } catch (err) {
      if (signal.aborted) return retry(err); // killed by stop(): redelivered later (the next attempt is counted)
      // Throws (and so retries) only if the catalog itself is down: then nothing else could be done.
      await recordJobAttemptError(catalog, job.jobId, reasonOf(err));
      const attempts = (await getJobAttempts(catalog, job.jobId))?.attempts ?? maxAttempts;
      if (attempts < maxAttempts) {
        log.error(
          { err },
          `transcode attempt ${attempts} of ${maxAttempts} failed; the job will be redelivered`,
        );
        return retry(err);
      }
      const reason = `transcode failed after ${attempts} attempts: ${reasonOf(err)}`;
      // One more ladder failing leaves the video as it was: only that ladder's row says so.
      if (job.ladder === undefined)
        await updateVideoStatus(catalog, job.videoId, { status: 'failed', error: reason });
      else
        await failVideoLadder(
          catalog,
          { videoId: job.videoId, ladderId: job.ladder.id, jobId: job.jobId },
          reason,
        );
      return deadLetter('gave_up', reason);
    }
  };

  const processMessage = async (message: ConsumedMessage, signal: AbortSignal): Promise<void> => {
    const job = parseJobStep(message);
    const log =
      'kind' in job
        ? logger.child({ key: message.key, partition: message.partition, offset: message.offset })
        : logger.child({ videoId: job.videoId, jobId: job.jobId });
    const result: JobResult = 'kind' in job ? job : await runJob(job, log, signal);
    switch (result.kind) {
      case 'ok':
        metrics.jobs.inc({ outcome: 'ready' });
        metrics.encodeSeconds.observe(result.value.encodeSeconds);
        log.info(
          { encodeSeconds: result.value.encodeSeconds, renditions: result.value.renditions },
          'video ready',
        );
        return;
      case 'drop':
        metrics.jobs.inc({ outcome: result.reason });
        log.info({ reason: result.detail }, `transcode job ${result.reason}`);
        return;
      case 'dead_letter':
        // Written before the offset is committed: if the log refuses it, the job comes again.
        await deadLetters.send(message, result.reason, result.detail);
        metrics.jobs.inc({ outcome: result.reason });
        log.error(
          { reason: result.detail },
          `transcode message ${result.reason}; it is on the dead-letter topic`,
        );
        return;
      case 'retry':
        if (!signal.aborted) metrics.jobs.inc({ outcome: 'retried' });
        throw result.error;
    }
  };

  return createSupervisedConsumer({
    eventLog,
    logger,
    registry: deps.registry,
    name: { service: 'transcode', noun: 'job_consumer' },
    groupId: deps.groupId ?? 'transcode',
    topic: deps.topic ?? TOPICS.transcodeJobs.name,
    maxBatchSize: 1,
    // A new group must still see jobs published before any worker ever joined (ingest may run
    // first), and a job whose first handler crashed before any commit must come back.
    fromBeginning: true,
    backoff: { initialDelayMs: deps.retryBackoffMs ?? 1_000, maxDelayMs: 30_000 },
    // An encode holds its one-message batch for minutes without fetching: silence is not a stall
    // here. The lag gauge stays; a worker that dies mid-job is covered by the attempt count.
    watchdog: { checkIntervalMs: 5_000, stallAfterMs: Number.POSITIVE_INFINITY },
    handleBatch: async (batch: Batch, context: BatchContext) => {
      for (const message of batch.messages) await processMessage(message, context.signal);
    },
  });
}
