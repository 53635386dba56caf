import { type Static, Type } from '@sinclair/typebox';
import { IsoDateTime, VideoId, VideoStatus } from './video.js';

/**
 * A video's lifecycle news on `video-events`, keyed by videoId. Written to the catalog outbox in the
 * same statement as the change it announces, so an event exists if and only if the change committed.
 */
export const VideoEvent = Type.Object(
  {
    event: Type.Union([
      Type.Literal('video.uploaded.v1'),
      Type.Literal('video.ready.v1'),
      Type.Literal('video.failed.v1'),
      Type.Literal('video.deleted.v1'),
    ]),
    videoId: VideoId,
    /** The status after the change; null once deleted. */
    status: Type.Union([VideoStatus, Type.Null()]),
    /** Why it failed (video.failed only). */
    error: Type.Union([Type.String(), Type.Null()]),
    owner: Type.Union([Type.String(), Type.Null()]),
    occurredAt: IsoDateTime,
  },
  { $id: 'VideoEvent', additionalProperties: false },
);
export type VideoEvent = Static<typeof VideoEvent>;
