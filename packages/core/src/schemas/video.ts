import { type Static, Type } from '@sinclair/typebox';
import { VIDEO_ID_PATTERN } from '../ids.js';

/** Lifecycle: waiting_upload → uploaded → processing → ready | failed (with `error`). */
export const VideoStatus = Type.Union(
  [
    Type.Literal('waiting_upload'),
    Type.Literal('uploaded'),
    Type.Literal('processing'),
    Type.Literal('ready'),
    Type.Literal('failed'),
  ],
  { $id: 'VideoStatus' },
);
export type VideoStatus = Static<typeof VideoStatus>;

/** `public`: anyone may get a playback token (rate limited). `signed`: only with an API key. */
export const PlaybackPolicy = Type.Union([Type.Literal('public'), Type.Literal('signed')]);
export type PlaybackPolicy = Static<typeof PlaybackPolicy>;

/** RFC 3339 timestamp as produced by `Date.prototype.toISOString()`. */
export const IsoDateTime = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
});

export const VideoId = Type.String({ pattern: VIDEO_ID_PATTERN, description: 'opaque video id' });

export const Video = Type.Object(
  {
    id: VideoId,
    title: Type.String({ maxLength: 500 }),
    description: Type.String({ maxLength: 5000 }),
    filename: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
    status: VideoStatus,
    error: Type.Union([Type.String(), Type.Null()]),
    /** Transcode progress 0-100 while processing. */
    progressPercent: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()]),
    playbackPolicy: PlaybackPolicy,
    /** Free-form labels, searched with title and description. Optional for producers older than tags. */
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
    durationMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    sourceKey: Type.Union([Type.String(), Type.Null()]),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { $id: 'Video', additionalProperties: false },
);
export type Video = Static<typeof Video>;
