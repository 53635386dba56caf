/**
 * One attempt at a transcode job, start to finish: count the attempt in the catalog, claim the video
 * ('processing'), fetch the source, probe it, encode the ladder into this attempt's own folder,
 * optionally encrypt it, publish it under `media/<videoId>/<ladderId>/` (master last) and mark the video
 * 'ready' — the last step fenced so only the job's newest attempt can take it. A job naming a stored
 * ladder (`job.ladder`) is one more ladder for a ready video: the same steps, but its own row in the
 * catalog's video_ladders goes processing → ready/failed (fenced by the job's id) and the video is untouched.
 *
 * Outcomes are step results: ok (ready), drop 'rejected' (bad input: the video is 'failed' with a readable reason,
 * never retried), drop 'skipped' (nothing to do: unknown or deleted video, already ready or failed,
 * superseded) or dead letter 'gave_up' (the attempts are used up, e.g. every one killed its worker). Anything
 * else — object store or catalog unreachable, ffmpeg crashing — is thrown for the worker to retry.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Catalog } from '@streamloop/catalog/catalog';
import { beginJobAttempt, isCurrentJobAttempt } from '@streamloop/catalog/job-attempts-repository';
import { getOrCreateVideoKey } from '@streamloop/catalog/key-repository';
import { createLadderVersion, getLadder } from '@streamloop/catalog/ladder-repository';
import {
  claimVideoLadder,
  failVideoLadder,
  finishVideoLadder,
  type LadderJob,
} from '@streamloop/catalog/video-ladder-repository';
import { getVideo, patchVideo, updateVideoStatus } from '@streamloop/catalog/video-repository';
import { DEFAULT_LADDER } from '@streamloop/core/ladders';
import type { Logger } from '@streamloop/core/logger';
import type { TranscodeJob } from '@streamloop/core/schemas/job';
import type { Ladder, LadderRecord } from '@streamloop/core/schemas/ladder';
import type { ContentProbe } from '@streamloop/core/schemas/ladder-plan';
import { type DeadLetter, type Drop, deadLetter, drop, type Ok, ok } from '@streamloop/event-log/step-result';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { encodeAndPackage } from './encode-and-package.js';
import { encryptRenditions, keyUri } from './encrypt-renditions.js';
import { probeMedia, UnreadableMediaError } from './ffmpeg-command.js';
import { DEFAULT_SOURCE_LIMITS, inspectSource, notPlayable, type SourceLimits } from './inspect-source.js';
import type { ContentProbeSource } from './per-title/content-probe.js';
import { LadderPlanError } from './per-title/ladder-planner.js';
import { perTitleLadderDefinition, planPerTitle, REFERENCE_AUDIENCE } from './per-title/per-title-plan.js';
import { RateQualityInputError } from './per-title/rate-quality-hull.js';
import { storeContentProbe } from './per-title/store-content-probe.js';
import { createProgressReporter, type ProgressReporter } from './progress-reporter.js';
import { publishRenditions } from './publish-renditions.js';
import { clearUnpublishedMedia, openAttemptFolder } from './staging.js';
import { withStorageBytes } from './storage-bytes.js';

export interface ReadyVideo {
  encodeSeconds: number;
  renditions: string[];
  durationMs: number;
}

export type JobOutcome = Ok<ReadyVideo> | Drop<'rejected' | 'skipped'> | DeadLetter<'gave_up'>;

export interface JobHandlerDeps {
  catalog: Catalog;
  objectStore: ObjectStore;
  logger: Logger;
  workDir: string;
  ladder?: Ladder;
  /** What a source may be; defaults to DEFAULT_SOURCE_LIMITS. */
  limits?: SourceLimits;
  /** 'aes-128': HLS segments and init sections encrypted with a per-video key (no DASH then). */
  encryption?: 'none' | 'aes-128';
  /**
   * After a new upload is ready, probe its content for per-title ladder plans (per-title/
   * store-content-probe.ts). Default off here; the service turns it on (TRANSCODE_CONTENT_PROBE).
   */
  contentProbe?: boolean;
  /**
   * A new upload's primary ladder is planned from its content (probe → hull → content-only plan on
   * the reference audience, per-title/per-title-plan.ts) instead of `ladder`; the probe is stored as
   * with `contentProbe`. A probe or plan that fails falls back to `ladder`. Default off
   * (TRANSCODE_PER_TITLE): on once its benchmark holds (issue 13).
   */
  perTitle?: boolean;
}

export interface AttemptContext {
  /** Unique per delivery of the job; names the attempt's folder and fences its publication. */
  attemptId: string;
  /** Attempts allowed per job, counted across restarts in the catalog. */
  maxAttempts: number;
  signal: AbortSignal;
}

/** What one encode of the source came to: a published-ready output folder, or why not. */
type Encoded =
  | {
      kind: 'encoded';
      packaged: LadderRecord;
      outputDir: string;
      durationMs: number;
      encodeSeconds: number;
      /** The fetched source as probed, for the content probe. */
      source: ContentProbeSource;
    }
  | { kind: 'rejected'; reason: string }
  | { kind: 'skipped'; reason: string };

export function createJobHandler(deps: JobHandlerDeps) {
  const { catalog, objectStore, logger } = deps;

  /** The content-only per-title ladder of a probed video, stored in the catalog; undefined if none can be planned. */
  const perTitleLadder = async (videoId: string, probe: ContentProbe): Promise<Ladder | undefined> => {
    try {
      const { plan } = planPerTitle({
        videoId,
        points: probe.points,
        throughputKbps: REFERENCE_AUDIENCE,
        currentLadder: {
          id: `${DEFAULT_LADDER.id}@${DEFAULT_LADDER.version}`,
          rungs: DEFAULT_LADDER.rungs.map((r) => ({ height: r.height, bitrateKbps: r.videoBitrateKbps })),
        },
        audioBitrateKbps: DEFAULT_LADDER.audioBitrateKbps,
      });
      const { ladder } = await createLadderVersion(
        catalog,
        perTitleLadderDefinition(videoId, plan.proposed.rungs),
        'transcode',
      );
      logger.info(
        {
          videoId,
          ladder: `${ladder.id}@${ladder.version}`,
          rungs: ladder.rungs.map((r) => r.videoBitrateKbps),
        },
        'per-title ladder planned',
      );
      return ladder;
    } catch (err) {
      if (!(err instanceof LadderPlanError || err instanceof RateQualityInputError)) throw err;
      logger.warn({ videoId, err }, 'no per-title ladder can be planned: the default ladder instead');
      return undefined;
    }
  };

  const reject = async (videoId: string, reason: string): Promise<JobOutcome> => {
    await updateVideoStatus(catalog, videoId, { status: 'failed', error: reason });
    return drop('rejected', reason);
  };

  /**
   * Every encode's steps, primary or not: fetch the source into the attempt's folder, probe and judge
   * it, encode and package `ladder`, encrypt when configured, and measure what each rendition stores.
   */
  const encodeSource = async (
    job: TranscodeJob,
    dir: string,
    ladder: Ladder | undefined,
    signal: AbortSignal,
    progressFor: (durationSec: number) => ProgressReporter | undefined,
    /** Picks the ladder from the probed source (per-title); undefined: `ladder`. */
    pickLadder?: (source: ContentProbeSource) => Promise<Ladder | undefined>,
  ): Promise<Encoded> => {
    const { videoId } = job;
    const source = await objectStore.get(job.sourceKey);
    if (source === null)
      return { kind: 'rejected', reason: `the uploaded source ${job.sourceKey} is missing` };
    // No extension: ffprobe must judge the bytes, not the name the uploader chose.
    const input = path.join(dir, 'source');
    await pipeline(source.body, createWriteStream(input));

    let probe: Awaited<ReturnType<typeof probeMedia>>;
    try {
      probe = await probeMedia(input);
    } catch (err) {
      if (err instanceof UnreadableMediaError) return { kind: 'rejected', reason: notPlayable(err.message) };
      throw err;
    }
    const verdict = inspectSource(probe, deps.limits ?? DEFAULT_SOURCE_LIMITS);
    if (!verdict.ok) return { kind: 'rejected', reason: verdict.reason };
    const info = verdict.source;
    const { hasAudio: _audio, ...probed } = { ...info, input };
    if (pickLadder !== undefined) ladder = (await pickLadder(probed)) ?? ladder;

    const outputDir = path.join(dir, 'out');
    await mkdir(outputDir);
    const progress = progressFor(info.durationSec);
    const started = performance.now();
    // --- encode + package (owned by transcode-encode): one ffmpeg, a complete output folder ---
    let packaged: LadderRecord;
    try {
      packaged = await encodeAndPackage(
        { ...info, input },
        { outputDir, ...(ladder === undefined ? {} : { ladder }) },
        { signal, onProgress: ({ encodedSec }) => progress?.report(encodedSec) },
      );
    } finally {
      await progress?.close();
    }
    // --- end encode + package ---
    const encodeSeconds = (performance.now() - started) / 1000;

    if (deps.encryption === 'aes-128') {
      const key = await getOrCreateVideoKey(catalog, videoId);
      if (key === undefined) return { kind: 'skipped', reason: 'video deleted during the encode' };
      await encryptRenditions(outputDir, videoId, key.key);
      // An encrypted ladder has no DASH manifest (encryptRenditions removed it).
      packaged = { ...withoutDash(packaged), encryption: { method: key.method, keyUri: keyUri(videoId) } };
    }
    packaged = await withStorageBytes(outputDir, packaged);
    return {
      kind: 'encoded',
      packaged,
      outputDir,
      durationMs: Math.round(info.durationSec * 1000),
      encodeSeconds,
      source: probed,
    };
  };

  /** Counts the attempt; the reason to give up when every allowed attempt already began. */
  const countAttempt = async (job: TranscodeJob, context: AttemptContext): Promise<string | undefined> => {
    const counted = await beginJobAttempt(catalog, {
      jobId: job.jobId,
      videoId: job.videoId,
      attemptId: context.attemptId,
    });
    if (counted.attempts <= context.maxAttempts) return undefined;
    // Every allowed attempt began and none finished: they failed or killed their worker.
    const why = counted.lastError ?? 'the worker stopped during every attempt';
    return `transcode failed after ${context.maxAttempts} attempts: ${why}`;
  };

  /** One more ladder for a ready video: its own folder and catalog row; the video itself is untouched. */
  const handleLadderJob = async (job: LadderJob, context: AttemptContext): Promise<JobOutcome> => {
    const { videoId } = job;
    const ref = { videoId, ladderId: job.ladder.id, jobId: job.jobId };
    if ((await getVideo(catalog, videoId)) === undefined) return drop('skipped', 'no such video (deleted?)');
    if (!(await claimVideoLadder(catalog, ref)))
      return drop('skipped', `ladder ${job.ladder.id} of this video was re-requested, finished or failed`);
    const givenUp = await countAttempt(job, context);
    if (givenUp !== undefined) {
      await failVideoLadder(catalog, ref, givenUp);
      return deadLetter('gave_up', givenUp);
    }
    const ladder = await getLadder(catalog, job.ladder.id, job.ladder.version);
    if (ladder === undefined) {
      const reason = `ladder ${job.ladder.id}@${job.ladder.version} is not in the catalog`;
      await failVideoLadder(catalog, ref, reason);
      return drop('rejected', reason);
    }
    const folder = await openAttemptFolder(deps.workDir, videoId, context.attemptId);
    try {
      const encoded = await encodeSource(job, folder.dir, ladder, context.signal, () => undefined);
      if (encoded.kind === 'rejected') {
        await failVideoLadder(catalog, ref, encoded.reason);
        return drop('rejected', encoded.reason);
      }
      if (encoded.kind === 'skipped') return drop('skipped', encoded.reason);
      // Still this job's to publish (not re-requested meanwhile, not a superseded attempt)?
      if (
        !(await claimVideoLadder(catalog, ref)) ||
        !(await isCurrentJobAttempt(catalog, job.jobId, context.attemptId))
      )
        return drop('skipped', 'the ladder was re-requested or a newer attempt took over');
      await clearUnpublishedMedia(objectStore, videoId, ladder.id);
      await publishRenditions(objectStore, videoId, encoded.outputDir);
      const finished = await catalog.transaction(
        async (tx) =>
          (await isCurrentJobAttempt(tx, job.jobId, context.attemptId)) &&
          finishVideoLadder(tx, ref, encoded.packaged),
      );
      if (!finished) return drop('skipped', 'the ladder was re-requested or a newer attempt took over');
      return ok({
        encodeSeconds: encoded.encodeSeconds,
        renditions: encoded.packaged.renditions.map((r) => r.name),
        durationMs: encoded.durationMs,
      });
    } finally {
      await folder.remove();
    }
  };

  return async function handleJob(job: TranscodeJob, context: AttemptContext): Promise<JobOutcome> {
    if (job.ladder !== undefined) return handleLadderJob(job as LadderJob, context);
    const { videoId } = job;
    const video = await getVideo(catalog, videoId);
    if (video === undefined) return drop('skipped', 'no such video (deleted?)');
    if (video.status === 'ready' || video.status === 'failed') {
      return drop('skipped', `video is already ${video.status}`);
    }
    const { attemptId } = context;
    const givenUp = await countAttempt(job, context);
    if (givenUp !== undefined) {
      await updateVideoStatus(catalog, videoId, { status: 'failed', error: givenUp });
      return deadLetter('gave_up', givenUp);
    }
    // Progress starts again at 0: a killed attempt's percentage says nothing about this one.
    if (!(await updateVideoStatus(catalog, videoId, { status: 'processing', progressPercent: 0 }))) {
      return drop('skipped', `video is ${video.status}, not waiting for a transcode`);
    }

    const folder = await openAttemptFolder(deps.workDir, videoId, attemptId);
    if (folder.staleAttempts.length > 0) {
      logger.info(
        { videoId, staleAttempts: folder.staleAttempts },
        'removed the folders of unfinished attempts',
      );
    }
    try {
      // Per-title: the content is probed first and the plan is the video's primary ladder.
      let probed = false;
      const pickLadder =
        deps.perTitle === true
          ? async (source: ContentProbeSource) => {
              const probe = await storeContentProbe(
                { ...deps, workDir: folder.dir },
                videoId,
                source,
                context.signal,
              );
              probed = probe !== undefined;
              return probe === undefined ? undefined : perTitleLadder(videoId, probe);
            }
          : undefined;
      const encoded = await encodeSource(
        job,
        folder.dir,
        deps.ladder,
        context.signal,
        (durationSec) => createProgressReporter({ catalog, logger, videoId, durationSec }),
        pickLadder,
      );
      if (encoded.kind === 'rejected') return await reject(videoId, encoded.reason);
      if (encoded.kind === 'skipped') return drop('skipped', encoded.reason);
      const { packaged, durationMs } = encoded;

      // Deleted, finished by another worker after a rebalance, or superseded by a newer attempt of
      // this job: leave the public prefix alone.
      const current = await getVideo(catalog, videoId);
      if (current?.status !== 'processing') {
        return drop('skipped', `video became ${current?.status ?? 'deleted'} during the encode`);
      }
      if (!(await isCurrentJobAttempt(catalog, job.jobId, attemptId))) {
        return drop('skipped', 'a newer attempt of this job took over');
      }
      await clearUnpublishedMedia(objectStore, videoId, packaged.ladderId);
      await publishRenditions(objectStore, videoId, encoded.outputDir);
      const flipped = await catalog.transaction(async (tx) => {
        if (!(await isCurrentJobAttempt(tx, job.jobId, attemptId))) return false;
        await patchVideo(tx, videoId, { durationMs, ladder: packaged });
        return updateVideoStatus(tx, videoId, { status: 'ready' });
      });
      if (!flipped)
        return drop('skipped', 'a newer attempt of this job took over, or the video left processing');
      if (deps.contentProbe === true && !probed) {
        await storeContentProbe({ ...deps, workDir: folder.dir }, videoId, encoded.source, context.signal);
      }
      return ok({
        encodeSeconds: encoded.encodeSeconds,
        renditions: packaged.renditions.map((r) => r.name),
        durationMs,
      });
    } finally {
      await folder.remove();
    }
  };
}

export type JobHandler = ReturnType<typeof createJobHandler>;

function withoutDash(record: LadderRecord): LadderRecord {
  const { dash: _removed, ...rest } = record;
  return rest;
}
