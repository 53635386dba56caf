/**
 * A ladder (which renditions a video gets) and the record of what an encode with it published.
 *
 * A ladder is data — versioned, stored with every video encoded with it — so per-title planning can
 * tune it and experiments can compare two. Transcode fits it to one source and publishes the result
 * under `media/<videoId>/<ladderId>/` (object-layout.ts); the record goes into the catalog with the
 * video, and delivery reads it to answer playback and thumbnail requests.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LADDER_ID_PATTERN } from '../ids.js';

export const VideoCodec = Type.Union([Type.Literal('h264'), Type.Literal('hevc'), Type.Literal('av1')]);
export type VideoCodec = Static<typeof VideoCodec>;

export const LadderId = Type.String({
  pattern: LADDER_ID_PATTERN,
  description: 'names a folder below the video',
});

/** A rung's `height` is the SHORT side: a portrait 1080×1920 clip gets the same budget at "720p" (720×1280). */
export const LadderRung = Type.Object({
  height: Type.Integer({ minimum: 2 }),
  codec: VideoCodec,
  /** Encoder profile: 'high'/'main'/'baseline' (H.264), 'main' (HEVC, AV1). */
  profile: Type.String({ minLength: 1 }),
  videoBitrateKbps: Type.Number({ exclusiveMinimum: 0 }),
  /** VBV cap of the capped VBR. */
  maxrateKbps: Type.Number({ exclusiveMinimum: 0 }),
  bufsizeKbps: Type.Number({ exclusiveMinimum: 0 }),
});
export type LadderRung = Static<typeof LadderRung>;

export const Ladder = Type.Object({
  /** Stable name and version, stored with every video encoded with it (experiments key on it). */
  id: LadderId,
  version: Type.Integer({ minimum: 1 }),
  rungs: Type.Array(LadderRung, { minItems: 1 }),
  /** AAC-LC, encoded once and shared by every rung as one audio rendition group. */
  audioBitrateKbps: Type.Number({ exclusiveMinimum: 0 }),
  /** Encoder speed per codec (x264/x265 preset names, SVT-AV1 preset number). */
  presets: Type.Object({ h264: Type.String(), hevc: Type.String(), av1: Type.String() }),
});
export type Ladder = Static<typeof Ladder>;

/** One rung fitted to a source. */
export const Rendition = Type.Object({
  ...Type.Omit(LadderRung, ['height']).properties,
  /** Folder and variant name: '360p', or '360p-hevc' for a rung in another codec. */
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
  /** The picture's size (a portrait '360p' is 360×640). */
  width: Type.Integer({ minimum: 2 }),
  height: Type.Integer({ minimum: 2 }),
  /** The rung's short side, as the ladder named it. */
  shortSide: Type.Integer({ minimum: 2 }),
});
export type Rendition = Static<typeof Rendition>;

/**
 * A path below the video's folder (`default/360p/index.m3u8`): plain names, no dot segments, no
 * leading slash. A record made before ladder folders existed states its `master` as the whole key
 * (`media/<videoId>/master.m3u8`); object-layout's `videoRelativePath` reads both.
 */
export const RecordPath = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*$',
  maxLength: 255,
});

/** printf-style, `%0<n>d` where the thumbnail number goes: `default/thumbs/t_%05d.jpg`. */
export const ThumbnailPattern = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*(/[A-Za-z0-9][A-Za-z0-9_-]*)*%0[1-9]d\\.jpg$',
  maxLength: 128,
});

export const PackagedRendition = Type.Object({
  ...Rendition.properties,
  codecs: Type.String(),
  /** Measured from the segments: what HLS BANDWIDTH / AVERAGE-BANDWIDTH and DASH bandwidth declare. */
  peakBitrate: Type.Number({ minimum: 0 }),
  averageBitrate: Type.Number({ minimum: 0 }),
  playlist: RecordPath,
  iframePlaylist: RecordPath,
  /** Bytes this rendition stores (segments, init section, playlists); absent from older records. */
  storageBytes: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type PackagedRendition = Static<typeof PackagedRendition>;

export const PackagedAudio = Type.Object({
  codecs: Type.String(),
  peakBitrate: Type.Number({ minimum: 0 }),
  averageBitrate: Type.Number({ minimum: 0 }),
  playlist: RecordPath,
  /** Bytes the audio rendition stores; absent from older records. */
  storageBytes: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type PackagedAudio = Static<typeof PackagedAudio>;

export const Thumbnails = Type.Object({
  /** Thumbnail i (from 0) is the frame at `i × intervalSec` s. */
  intervalSec: Type.Number({ exclusiveMinimum: 0 }),
  count: Type.Integer({ minimum: 1 }),
  pattern: ThumbnailPattern,
});
export type Thumbnails = Static<typeof Thumbnails>;

/** What is stored with the video in the catalog: which ladder made it and what came out. */
export const LadderRecord = Type.Object({
  ladderId: LadderId,
  ladderVersion: Type.Integer({ minimum: 1 }),
  master: RecordPath,
  /** Absent from ladders made before DASH, and from encrypted ones (no DASH player could decrypt them). */
  dash: Type.Optional(RecordPath),
  poster: RecordPath,
  storyboard: RecordPath,
  /** Absent from ladders made before single thumbnails. */
  thumbnails: Type.Optional(Thumbnails),
  frameRate: Type.Number({ exclusiveMinimum: 0 }),
  renditions: Type.Array(PackagedRendition, { minItems: 1 }),
  /** Absent for a source without audio. */
  audio: Type.Optional(PackagedAudio),
  /** HLS AES-128: the playlists name the key route; absent when the ladder is in the clear. */
  encryption: Type.Optional(Type.Object({ method: Type.Literal('AES-128'), keyUri: Type.String() })),
});
export type LadderRecord = Static<typeof LadderRecord>;
