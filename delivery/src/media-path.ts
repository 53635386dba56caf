/**
 * Reads a `/media/<videoId>/<path>?token=...` request URI as it came off the wire. The origin route
 * and the edge's token check both use this one parser, so the video the token is checked against is
 * always the video whose object is served: an edge cache keys on the normalised path, and a URI like
 * `/media/A/%2e%2e/B/seg.ts` must never pass with a token for A while naming B's object.
 */
import { isVideoId, VIDEO_ID_CHARACTERS } from '@streamloop/core/ids';
import { MEDIA_URL_PREFIX, mediaKey } from '@streamloop/core/object-layout';
import { type MediaType, mediaTypeOf } from './media-types.js';

export const MEDIA_PREFIX = MEDIA_URL_PREFIX;
/** One path segment of an object the transcoder writes: `720p`, `seg_00001.ts`, `init.mp4`. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const MAX_DEPTH = 4;

export interface MediaRequest {
  videoId: string;
  /** Path below the video, e.g. `720p/index.m3u8`. */
  path: string;
  /** `media/<videoId>/<path>` in the object store. */
  objectKey: string;
  type: MediaType;
  /** The `token` query parameter; undefined when absent or given more than once. */
  token: string | undefined;
}

export type MediaPathResult =
  | { kind: 'ok'; request: MediaRequest }
  /** Traversal, encoded separators, empty segments, undecodable escapes: refused outright (400). */
  | { kind: 'bad'; reason: string }
  /** Well-formed but not something the origin serves (unknown extension, not under /media/<id>/). */
  | { kind: 'not_found'; reason: string };

export function parseMediaUri(rawUri: string): MediaPathResult {
  const question = rawUri.indexOf('?');
  const rawPath = question === -1 ? rawUri : rawUri.slice(0, question);
  const query = question === -1 ? '' : rawUri.slice(question + 1);
  if (!rawPath.startsWith(MEDIA_PREFIX)) return { kind: 'not_found', reason: 'not a media path' };

  const rawSegments = rawPath.slice(MEDIA_PREFIX.length).split('/');
  if (rawSegments.length < 2) return { kind: 'not_found', reason: 'no object named' };
  if (rawSegments.length > MAX_DEPTH + 1) return { kind: 'not_found', reason: 'path too deep' };
  const segments: string[] = [];
  for (const [index, raw] of rawSegments.entries()) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return { kind: 'bad', reason: 'undecodable escape in path' };
    }
    if (decoded === '' || decoded.includes('..') || decoded === '.') {
      return { kind: 'bad', reason: 'empty or dot segment in path' };
    }
    // Catalog ids are base64url and may start with '-' or '_'; object names may not.
    if (!(index === 0 ? VIDEO_ID_CHARACTERS : SEGMENT).test(decoded))
      return { kind: 'bad', reason: 'unexpected character in path' };
    segments.push(decoded);
  }

  const [videoId, ...rest] = segments as [string, ...string[]];
  if (!isVideoId(videoId)) return { kind: 'not_found', reason: 'not a video id' };
  const path = rest.join('/');
  const type = mediaTypeOf(path);
  if (type === undefined) return { kind: 'not_found', reason: 'not a media file' };

  const tokens = new URLSearchParams(query).getAll('token');
  return {
    kind: 'ok',
    request: {
      videoId,
      path,
      objectKey: mediaKey(videoId, path),
      type,
      // Two tokens are ambiguous (a cache and the origin could each read a different one).
      token: tokens.length === 1 ? tokens[0] : undefined,
    },
  };
}
