import { type Static, Type } from '@sinclair/typebox';
import { LadderId } from './ladder.js';
import { IsoDateTime, VideoId } from './video.js';

/** A request to transcode one uploaded source object. Keyed by videoId on `transcode-jobs`. */
export const TranscodeJob = Type.Object(
  {
    event: Type.Literal('transcode.job.v1'),
    jobId: Type.String({ minLength: 8, maxLength: 64 }),
    videoId: VideoId,
    /** Object-store key of the uploaded source. */
    sourceKey: Type.String({ minLength: 1, maxLength: 1024 }),
    /** 1 for the first try; re-publication from the outbox increments it. */
    attempt: Type.Integer({ minimum: 1, maximum: 100 }),
    requestedAt: IsoDateTime,
    /**
     * Encode the source with this stored ladder as one more ladder of a ready video (the catalog's
     * video_ladders row); absent: the video's first, primary encode.
     */
    ladder: Type.Optional(
      Type.Object({ id: LadderId, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    ),
  },
  { $id: 'TranscodeJob', additionalProperties: false },
);
export type TranscodeJob = Static<typeof TranscodeJob>;
