/**
 * Queues encodes of more ladders for ready videos: each request writes the video's ladder row and its
 * transcode job in one transaction (a repeat of a queued, encoding or ready version writes nothing),
 * then publishes the jobs at once; if Kafka is away they wait in the outbox for the relay.
 */
import type { Catalog } from '@streamloop/catalog/catalog';
import { publishCommitted } from '@streamloop/catalog/outbox-relay';
import { type LadderJob, requestVideoLadder } from '@streamloop/catalog/video-ladder-repository';
import { reasonOf } from '@streamloop/core/errors';
import type { VideoLadder } from '@streamloop/core/ladders';
import type { Logger } from '@streamloop/core/logger';
import { TOPICS } from '@streamloop/core/topics';
import type { EventLog } from '@streamloop/event-log/event-log';
import { newTranscodeJob } from './transcode-job.js';

export interface LadderRequestDeps {
  catalog: Catalog;
  eventLog: Pick<EventLog, 'publish'>;
  logger: Logger;
}

export interface LadderRequest {
  videoId: string;
  sourceKey: string;
  ladder: { id: string; version: number };
}

/** The rows as they stand after the requests, and how many encodes were queued. */
export async function queueLadderEncodes(
  deps: LadderRequestDeps,
  requests: readonly LadderRequest[],
  requestedBy: string,
): Promise<{ videoLadders: VideoLadder[]; queued: number }> {
  const videoLadders: VideoLadder[] = [];
  const outboxIds: number[] = [];
  for (const request of requests) {
    const job = newTranscodeJob(request.videoId, request.sourceKey, new Date(), request.ladder) as LadderJob;
    const { videoLadder, outboxId } = await requestVideoLadder(deps.catalog, {
      job,
      topic: TOPICS.transcodeJobs.name,
      requestedBy,
    });
    videoLadders.push(videoLadder);
    if (outboxId !== undefined) outboxIds.push(outboxId);
  }
  if (outboxIds.length > 0) {
    try {
      await publishCommitted(deps, outboxIds);
    } catch (err) {
      deps.logger.warn(
        { jobs: outboxIds.length, reason: reasonOf(err) },
        'ladder jobs committed but not published yet; the outbox relay will publish them',
      );
    }
  }
  return { videoLadders, queued: outboxIds.length };
}
