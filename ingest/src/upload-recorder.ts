/**
 * Turns a finished upload into catalog state and a transcode job, exactly once per video: ONE
 * transaction writes the video row ('uploaded') and the job into the outbox, then the job is
 * published and its outbox row marked. If publishing fails the row stays and the outbox relay
 * publishes it later; transcode never waits on this request.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { CatalogConflictError } from '@streamloop/catalog/catalog';
import {
  enqueueOutbox,
  getVideo,
  insertVideo,
  patchVideo,
  updateVideoStatus,
} from '@streamloop/catalog/video-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { Logger } from '@streamloop/core/logger';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import { publishOutboxMessages } from './publish-outbox.js';
import { newTranscodeJob } from './transcode-job.js';

export interface FinishedUpload {
  videoId: string;
  sourceKey: string;
  title: string | undefined;
  filename: string | undefined;
}

export interface UploadRecorder {
  /** True once the video left 'waiting_upload' (this upload, or an earlier call, recorded it). */
  isRecorded(videoId: string): Promise<boolean>;
  /** Returns whether THIS call recorded it (false: it already was). */
  record(upload: FinishedUpload): Promise<boolean>;
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
      const existing = await getVideo(tx, upload.videoId);
      if (existing === undefined) {
        await insertVideo(tx, {
          id: upload.videoId,
          title: upload.title ?? upload.filename ?? 'Untitled',
          filename: upload.filename ?? null,
          status: 'uploaded',
          sourceKey: upload.sourceKey,
        });
      } else {
        // A video created earlier through the API: its row waits for this source.
        if (existing.status !== 'waiting_upload') return undefined;
        await patchVideo(tx, upload.videoId, {
          sourceKey: upload.sourceKey,
          ...(upload.filename === undefined ? {} : { filename: upload.filename }),
        });
        // Guarded in the UPDATE itself: a concurrent finisher of the same upload loses here.
        if (!(await updateVideoStatus(tx, upload.videoId, { status: 'uploaded' }))) return undefined;
      }
      const job = newTranscodeJob(upload.videoId, upload.sourceKey);
      const id = await enqueueOutbox(tx, { topic, key: upload.videoId, payload: job });
      return { id, topic, key: upload.videoId, payload: job };
    });

  return {
    isRecorded,
    async record(upload) {
      let message: Awaited<ReturnType<typeof writeRows>>;
      try {
        message = await writeRows(upload);
      } catch (err) {
        // Two finishers raced to insert the same new video; the other one recorded it.
        if (err instanceof CatalogConflictError) return false;
        throw err;
      }
      if (message === undefined) return false;
      try {
        await publishOutboxMessages(eventLog, catalog, [message]);
      } catch (err) {
        logger.warn(
          { videoId: upload.videoId, outboxId: message.id, reason: reasonOf(err) },
          'transcode job committed but not published yet; the outbox relay will publish it',
        );
      }
      return true;
    },
  };
}
