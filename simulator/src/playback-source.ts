/**
 * What a viewer's player gets from the stack before the first segment: the playback API's answer
 * (asked for as synthetic, so the origin marks its CMCD beacons too, and for the viewer, so a running
 * experiment gives it an arm) and the ladder the stack
 * published — master and media playlists plus every file's size (EXT-X-BYTERANGE, else a HEAD) —
 * read into the model's `Ladder` by `ladderFromHls`. Both modes start here.
 */
import { ladderFromHls } from '@streamloop/playback-model/hls-ladder';
import type { Ladder } from '@streamloop/playback-model/ladder';
import { errorOfBody, networkCauseOf, parseJsonBody } from './http-answer.js';

export interface PlaybackTarget {
  /** Base URL of the stack (`http://127.0.0.1:3000`). */
  target: string;
  /** Sent as `Authorization: Bearer`; signed videos need one, public ones do not. */
  apiKey?: string | undefined;
  fetch?: typeof fetch;
}

export interface ResolvedPlayback {
  videoId: string;
  /** The tokenised master playlist, absolute. */
  manifestUrl: string;
  ladderId: string | undefined;
  variant: string | undefined;
  synthetic: boolean;
}

export class PlaybackError extends Error {
  readonly code = 'ERR_PLAYBACK_UNAVAILABLE';
  constructor(
    readonly videoId: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(`video ${videoId}: ${detail}`);
    this.name = 'PlaybackError';
  }
}

// HEADs for segment sizes in flight at once: enough for a short clip to load in well under a second.
const HEAD_CONCURRENCY = 8;

/**
 * `viewerId` is the id the viewer's beacons carry: with it a running ladder experiment assigns the
 * viewer an arm (the answer's `variant`), as the SDK's createPlayer does for a real viewer.
 */
export async function fetchPlayback(
  target: PlaybackTarget,
  videoId: string,
  viewerId?: string,
): Promise<ResolvedPlayback> {
  const doFetch = target.fetch ?? fetch;
  const url = new URL(`/api/v1/videos/${encodeURIComponent(videoId)}/playback?synthetic=1`, target.target);
  if (viewerId !== undefined) url.searchParams.set('viewerId', viewerId);
  const response = await doFetch(url, {
    headers: target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {},
  }).catch((error: unknown) => {
    throw new PlaybackError(
      videoId,
      0,
      `playback API unreachable at ${url.origin} (${networkCauseOf(error)})`,
    );
  });
  const text = await response.text();
  if (!response.ok) {
    const error = errorOfBody(text);
    throw new PlaybackError(
      videoId,
      response.status,
      `playback API answered ${response.status}${error?.code ? ` ${error.code}` : ''}${error?.message ? `: ${error.message}` : ''}`,
    );
  }
  const body = parseJsonBody(text) as
    | { manifestUrl?: string; ladderId?: string; variant?: string | null; synthetic?: boolean }
    | undefined;
  if (!body?.manifestUrl)
    throw new PlaybackError(videoId, response.status, 'playback API answer has no manifestUrl');
  return {
    videoId,
    manifestUrl: new URL(body.manifestUrl, target.target).toString(),
    ladderId: body.ladderId,
    variant: body.variant ?? undefined,
    synthetic: body.synthetic === true,
  };
}

export async function fetchPublishedLadder(
  target: PlaybackTarget,
  playback: ResolvedPlayback,
): Promise<Ladder> {
  const doFetch = target.fetch ?? fetch;
  const get = async (url: URL): Promise<string> => {
    const response = await doFetch(url);
    const text = await response.text();
    if (!response.ok)
      throw new PlaybackError(
        playback.videoId,
        response.status,
        `${url.pathname} answered ${response.status}`,
      );
    return text;
  };
  const master = new URL(playback.manifestUrl);
  const masterText = await get(master);
  const mediaPlaylists: Record<string, string> = {};
  const sizes = new Map<string, number>();
  const toHead: URL[] = [];
  for (const uri of childUris(masterText, true)) {
    const mediaUrl = new URL(uri, master);
    const text = await get(mediaUrl);
    mediaPlaylists[keyOf(mediaUrl)] = text;
    for (const segmentUri of childUris(text, false)) toHead.push(new URL(segmentUri, mediaUrl));
  }
  let next = 0;
  const headWorker = async (): Promise<void> => {
    for (let url = toHead[next++]; url; url = toHead[next++]) {
      const response = await doFetch(url, { method: 'HEAD' });
      const length = Number(response.headers.get('content-length'));
      if (response.ok && Number.isFinite(length)) sizes.set(keyOf(url), length);
    }
  };
  await Promise.all(Array.from({ length: HEAD_CONCURRENCY }, headWorker));
  return alignAudio(
    ladderFromHls({
      masterPath: keyOf(master),
      masterText,
      mediaPlaylists,
      bytesOf: (path) => sizes.get(path),
    }),
  );
}

/**
 * The model fetches audio with each video segment and wants both cut at the same boundaries; the
 * packager cuts audio on its own frame grid (a 30 s title: 6 audio segments, 5 video). So audio
 * bytes are re-bucketed onto the video segments by time overlap — the same bytes, at about the same
 * media time, which is what the model's shared link sees.
 */
export function alignAudio(ladder: Ladder): Ladder {
  const video = ladder.rungs[0]?.segments;
  const audio = ladder.audio;
  if (!video || !audio) return ladder;
  const sameCut =
    audio.segments.length === video.length &&
    audio.segments.every(
      (segment, i) => Math.abs(segment.durationSec - (video[i]?.durationSec ?? 0)) <= 0.05,
    );
  if (sameCut) return ladder;
  const buckets = video.map((segment) => ({ durationSec: segment.durationSec, bytes: 0 }));
  const videoEnds: number[] = [];
  let end = 0;
  for (const segment of video) {
    end += segment.durationSec;
    videoEnds.push(end);
  }
  let audioStart = 0;
  for (const segment of audio.segments) {
    const audioEnd = audioStart + segment.durationSec;
    let videoStart = 0;
    buckets.forEach((bucket, i) => {
      const videoEnd = videoEnds[i] ?? videoStart;
      // The last video segment takes whatever audio runs past the video's end.
      const overlapEnd =
        i === buckets.length - 1 ? Math.max(audioEnd, videoEnd) : Math.min(audioEnd, videoEnd);
      const overlap = Math.max(0, overlapEnd - Math.max(audioStart, videoStart));
      bucket.bytes += (segment.bytes * overlap) / segment.durationSec;
      videoStart = videoEnd;
    });
    audioStart = audioEnd;
  }
  const total = audio.segments.reduce((sum, segment) => sum + segment.bytes, 0);
  const segments = buckets.map((bucket) => ({
    durationSec: bucket.durationSec,
    bytes: Math.round(bucket.bytes),
  }));
  const last = segments[segments.length - 1];
  if (last) last.bytes += total - segments.reduce((sum, segment) => sum + segment.bytes, 0);
  return { ...ladder, audio: { ...audio, segments } };
}

/** hls-ladder resolves URIs as paths; a URL's path and query is that same string. */
const keyOf = (url: URL): string => url.pathname + url.search;

/**
 * Master: the variant and audio playlists. Media: segments and init sections whose size the
 * playlist does not state (no BYTERANGE), which therefore need a HEAD.
 */
function childUris(text: string, master: boolean): string[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const uris: string[] = [];
  let ranged = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (master) {
      if (line.startsWith('#EXT-X-STREAM-INF:')) {
        const uri = lines[i + 1];
        if (uri && !uri.startsWith('#')) uris.push(uri);
      } else if (line.startsWith('#EXT-X-MEDIA:') && /TYPE=AUDIO/.test(line)) {
        const uri = /URI="([^"]*)"/.exec(line)?.[1];
        if (uri) uris.push(uri);
      }
      continue;
    }
    if (line.startsWith('#EXT-X-MAP:')) {
      const uri = /URI="([^"]*)"/.exec(line)?.[1];
      if (uri && !/BYTERANGE=/.test(line)) uris.push(uri);
    } else if (line.startsWith('#EXT-X-BYTERANGE:')) {
      ranged = true;
    } else if (line !== '' && !line.startsWith('#')) {
      if (!ranged) uris.push(line);
      ranged = false;
    }
  }
  return [...new Set(uris)];
}
