/**
 * One transcode job, start to finish: claim the video ('processing'), fetch the source, probe it,
 * encode the ladder in one ffmpeg process, store the renditions, and mark the video 'ready'.
 *
 * Outcomes are values: 'ready', 'rejected' (bad input: the video is 'failed' with a readable reason,
 * never retried) or 'skipped' (nothing to do: unknown video, already ready or failed). Anything
 * else — object store or catalog unreachable, ffmpeg crashing — is thrown for the worker to retry.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Catalog } from '@streamloop/catalog/catalog';
import { getVideo, patchVideo, updateVideoStatus } from '@streamloop/catalog/video-repository';
import type { Logger } from '@streamloop/core/logger';
import type { TranscodeJob } from '@streamloop/core/schemas/job';
import type { ObjectStore } from '@streamloop/object-store/object-store';
import { encodeAndPackage, type LadderRecord } from './encode-and-package.js';
import { probeMedia, UnreadableMediaError } from './ffmpeg-command.js';
import { inspectSource, notPlayable } from './inspect-source.js';
import { mediaKey } from './media-layout.js';
import type { Ladder } from './plan-ladder.js';
import { createProgressReporter } from './progress-reporter.js';
import { publishRenditions } from './publish-renditions.js';

export type JobOutcome =
  | { kind: 'ready'; encodeSeconds: number; renditions: string[]; durationMs: number }
  | { kind: 'rejected'; reason: string }
  | { kind: 'skipped'; reason: string };

export interface JobHandlerDeps {
  catalog: Catalog;
  objectStore: ObjectStore;
  logger: Logger;
  workDir: string;
  ladder?: Ladder;
}

export function createJobHandler(deps: JobHandlerDeps) {
  const { catalog, objectStore, logger } = deps;

  const reject = async (videoId: string, reason: string): Promise<JobOutcome> => {
    await updateVideoStatus(catalog, videoId, { status: 'failed', error: reason });
    return { kind: 'rejected', reason };
  };

  return async function handleJob(job: TranscodeJob, signal: AbortSignal): Promise<JobOutcome> {
    const { videoId } = job;
    const video = await getVideo(catalog, videoId);
    if (video === undefined) return { kind: 'skipped', reason: 'no such video' };
    if (video.status === 'ready' || video.status === 'failed') {
      return { kind: 'skipped', reason: `video is already ${video.status}` };
    }
    if (!(await updateVideoStatus(catalog, videoId, { status: 'processing' }))) {
      return { kind: 'skipped', reason: `video is ${video.status}, not waiting for a transcode` };
    }

    const jobDir = path.join(deps.workDir, `${videoId}-${job.jobId}`);
    await mkdir(jobDir, { recursive: true });
    try {
      const source = await objectStore.get(job.sourceKey);
      if (source === null) return await reject(videoId, `the uploaded source ${job.sourceKey} is missing`);
      // No extension: ffprobe must judge the bytes, not the name the uploader chose.
      const input = path.join(jobDir, 'source');
      await pipeline(source.body, createWriteStream(input));

      let probe: Awaited<ReturnType<typeof probeMedia>>;
      try {
        probe = await probeMedia(input);
      } catch (err) {
        if (err instanceof UnreadableMediaError) return await reject(videoId, notPlayable(err.message));
        throw err;
      }
      const verdict = inspectSource(probe);
      if (!verdict.ok) return await reject(videoId, verdict.reason);
      const info = verdict.source;

      const outputDir = path.join(jobDir, 'out');
      await mkdir(outputDir);
      const progress = createProgressReporter({ catalog, logger, videoId, durationSec: info.durationSec });
      const started = performance.now();
      // --- encode + package (owned by transcode-encode): one ffmpeg, a complete output folder ---
      let packaged: LadderRecord;
      try {
        packaged = await encodeAndPackage(
          { ...info, input },
          { outputDir, ...(deps.ladder === undefined ? {} : { ladder: deps.ladder }) },
          { signal, onProgress: ({ encodedSec }) => progress.report(encodedSec) },
        );
      } finally {
        await progress.close();
      }
      // --- end encode + package ---
      const encodeSeconds = (performance.now() - started) / 1000;

      // Another worker (after a rebalance) may have finished it meanwhile: leave its output alone.
      const current = await getVideo(catalog, videoId);
      if (current?.status !== 'processing') {
        return { kind: 'skipped', reason: `video became ${current?.status ?? 'deleted'} during the encode` };
      }
      await publishRenditions(objectStore, videoId, outputDir);
      const durationMs = Math.round(info.durationSec * 1000);
      await catalog.transaction(async (tx) => {
        await patchVideo(tx, videoId, {
          durationMs,
          ladder: { ...packaged, master: mediaKey(videoId, packaged.master) },
        });
        await updateVideoStatus(tx, videoId, { status: 'ready' });
      });
      return { kind: 'ready', encodeSeconds, renditions: packaged.renditions.map((r) => r.name), durationMs };
    } finally {
      await rm(jobDir, { recursive: true, force: true });
    }
  };
}

export type JobHandler = ReturnType<typeof createJobHandler>;
