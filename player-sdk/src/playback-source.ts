/**
 * Where the media comes from: a playback URL the app already has (signed videos: the app's backend
 * asked for it with the API key), or one fetched from the public playback API.
 */
import type { PlaybackResponse } from '@streamloop/core/schemas/playback';

export interface PlaybackSource {
  url: string;
  /** MIME type for video.js' source selection. */
  type: string;
  /** Experiment variant and encoding ladder the playback API assigned, copied onto beacons. */
  variant?: string;
  ladderId?: string;
}

export interface PlaybackRequest {
  videoId: string;
  playbackUrl?: string;
  /** Origin (and optional path prefix) of the streamloop API; default: this page's origin. */
  apiBase?: string;
}

export function mimeTypeOf(url: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  return path.endsWith('.mpd') ? 'application/dash+xml' : 'application/x-mpegURL';
}

export function playbackApiUrl(apiBase: string | undefined, videoId: string): string {
  return `${(apiBase ?? '').replace(/\/+$/, '')}/api/v1/videos/${encodeURIComponent(videoId)}/playback`;
}

export class PlaybackApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaybackApiError';
  }
}

export async function resolvePlaybackSource(
  request: PlaybackRequest,
  fetchImpl: (url: string, init: RequestInit) => Promise<Response> = (url, init) => fetch(url, init),
): Promise<PlaybackSource> {
  if (request.playbackUrl !== undefined)
    return { url: request.playbackUrl, type: mimeTypeOf(request.playbackUrl) };
  const apiUrl = playbackApiUrl(request.apiBase, request.videoId);
  let response: Response;
  try {
    response = await fetchImpl(apiUrl, {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    });
  } catch {
    throw new PlaybackApiError('the playback API could not be reached');
  }
  // The contract's shape, every field still checked: the body comes over the network, maybe from a
  // proxy's error page or an older server.
  const body = (await response.json().catch(() => undefined)) as
    | (Partial<Record<keyof PlaybackResponse, unknown>> & { error?: { code?: unknown; message?: unknown } })
    | undefined;
  if (!response.ok || typeof body?.manifestUrl !== 'string') {
    const reason = typeof body?.error?.message === 'string' ? `: ${body.error.message}` : '';
    throw new PlaybackApiError(`the playback API answered ${response.status}${reason}`);
  }
  // A relative manifest URL is relative to the API that issued it, not to the page.
  const base = new URL(apiUrl, typeof location === 'undefined' ? 'http://localhost/' : location.href);
  const url = new URL(body.manifestUrl, base).href;
  const source: PlaybackSource = { url, type: mimeTypeOf(url) };
  if (typeof body.variant === 'string' && body.variant.length <= 64) source.variant = body.variant;
  if (typeof body.ladderId === 'string' && body.ladderId.length <= 64) source.ladderId = body.ladderId;
  return source;
}
