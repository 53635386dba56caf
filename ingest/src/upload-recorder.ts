/**
 * Turns a finished upload into catalog state and a transcode job, exactly once per video: ONE
 * transaction writes the video row ('uploaded') and the job into the outbox, then the job is
 * published and its outbox row marked. If publishing fails the row stays and the outbox relay
 * publishes it later; transcode never waits on this request.
 *
 * Dedup: inside the same transaction, under a per-(owner, sha256) advisory lock, a live video of the
 * same owner with the same source SHA-256 wins over a NEW video: nothing is written and its id is
 * returned instead. A video created beforehand through the API is always filled (its id was promised).
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { CatalogConflictError } from '@streamloop/catalog/catalog';
import { publishCommitted } from '@streamloop/catalog/outbox-relay';
import { enqueueOutbox } from '@streamloop/catalog/outbox-repository';
import { findVideoBySource, lockSource } from '@streamloop/catalog/source-repository';
import { getVideo, insertVideo, patchVideo, updateVideoStatus } from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import { newTranscodeJob } from './transcode-job.js';

export interface FinishedUpload {
  videoId: string;
  sourceKey: string;
  title: string | undefined;
  filename: string | undefined;
  /** Unset (a source written by the stack itself, e.g. the demo video): no dedup, no stored hash. */
  sha256?: string;
  owner?: string;
}

/** What `record` did: wrote this video, found it already recorded, or found the same content under another id. */
export type RecordOutcome =
  | { kind: 'recorded' }
  | { kind: 'already-recorded' }
  | { kind: 'duplicate'; existingVideoId: string };

export interface UploadRecorder {
  /** True once the video left 'waiting_upload' (this upload, or an earlier call, recorded it). */
  isRecorded(videoId: string): Promise<boolean>;
  record(upload: FinishedUpload): Promise<RecordOutcome>;
}

export interface UploadRecorderDeps {
  catalog: Catalog;
  eventLog: EventLog;
  logger: Logger;
}

export function createUploadRecorder(deps: UploadRecorderDeps): UploadRecorder {
  const { catalog, eventLog, logger } = deps;
  const topic = TOPICS.transcodeJobs.name;

  const isRecorded = async (videoId: string): Promise<boolean> => {
    const video = await getVideo(catalog, videoId);
    return video !== undefined && video.status !== 'waiting_upload';
  };

  const writeRows = (upload: FinishedUpload) =>
    catalog.transaction(async (tx) => {
      const { sha256, owner } = upload;
      const dedupKey = sha256 === undefined || owner === undefined ? undefined : { sha256, owner };
      if (dedupKey) await lockSource(tx, dedupKey.owner, dedupKey.sha256);
      const existing = await getVideo(tx, upload.videoId);
      if (existing !== undefined && existing.status !== 'waiting_upload')
        return { kind: 'already-recorded' } as const;
      // A video created first through the API keeps its own id: the uploader asked for that one.
      const same =
        existing === undefined && dedupKey
          ? await findVideoBySource(tx, dedupKey.owner, dedupKey.sha256)
          : undefined;
      if (same !== undefined) return { kind: 'duplicate', existingVideoId: same.id } as const;
      const source = {
        sourceKey: upload.sourceKey,
        ...(sha256 === undefined ? {} : { sourceSha256: sha256 }),
        ...(owner === undefined ? {} : { owner }),
      };
      if (existing === undefined) {
        await insertVideo(tx, {
          id: upload.videoId,
          title: upload.title ?? upload.filename ?? 'Untitled',
          filename: upload.filename ?? null,
          status: 'uploaded',
          ...source,
        });
      } else {
        // A video created earlier through the API: its row waits for this source.
        await patchVideo(tx, upload.videoId, {
          ...source,
          ...(upload.filename === undefined ? {} : { filename: upload.filename }),
        });
        // Guarded in the UPDATE itself: a concurrent finisher of the same upload loses here.
        if (!(await updateVideoStatus(tx, upload.videoId, { status: 'uploaded' })))
          return { kind: 'already-recorded' } as const;
      }
      const job = newTranscodeJob(upload.videoId, upload.sourceKey);
      const id = await enqueueOutbox(tx, { topic, key: upload.videoId, payload: job });
      return { kind: 'recorded', outboxId: id } as const;
    });

  return {
    isRecorded,
    async record(upload) {
      let written: Awaited<ReturnType<typeof writeRows>>;
      try {
        written = await writeRows(upload);
      } catch (err) {
        // Two finishers raced to insert the same new video; the other one recorded it.
        if (err instanceof CatalogConflictError) return { kind: 'already-recorded' };
        throw err;
      }
      if (written.kind !== 'recorded') return written;
      try {
        await publishCommitted({ catalog, eventLog }, [written.outboxId]);
      } catch (err) {
        logger.warn(
          { videoId: upload.videoId, outboxId: written.outboxId, reason: reasonOf(err) },
          'transcode job committed but not published yet; the outbox relay will publish it',
        );
      }
      return { kind: 'recorded' };
    },
  };
}
