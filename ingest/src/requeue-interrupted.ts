/**
 * After a restart of the single-process stack the in-process log is empty: a video that was
 * `uploaded` or `processing` when the process stopped would wait forever. The catalog is the
 * source of truth (DESIGN.md), so its unfinished videos get their transcode job again. Kafka keeps
 * uncommitted jobs itself, so this is for the embedded log only.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { listVideos } from '@streamloop/catalog/video-repository';
import type { Logger } from '@streamloop/core/logger';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import { newTranscodeJob } from './transcode-job.js';

export async function requeueInterruptedJobs(deps: {
  catalog: Catalog;
  eventLog: EventLog;
  logger: Logger;
}): Promise<number> {
  let requeued = 0;
  for (const status of ['uploaded', 'processing'] as const) {
    let cursor: string | undefined;
    do {
      const page = await listVideos(deps.catalog, { status, limit: 100, ...(cursor ? { cursor } : {}) });
      const jobs = page.videos.flatMap((video) =>
        video.sourceKey
          ? [
              {
                key: video.id,
                value: Buffer.from(JSON.stringify(newTranscodeJob(video.id, video.sourceKey))),
              },
            ]
          : [],
      );
      await deps.eventLog.publish(TOPICS.transcodeJobs.name, jobs);
      requeued += jobs.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  if (requeued > 0)
    deps.logger.info({ requeued }, 'transcode jobs requeued for videos a restart interrupted');
  return requeued;
}
