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
  /** The API marked this playback as a simulated viewer's (`?synthetic=1`): so are its beacons. */
  synthetic?: true;
  /** The viewer's start-rung hint, kbit/s: what their network sustained in most recent views. */
  startBitrateKbps?: number;
}

export interface PlaybackRequest {
  videoId: string;
  playbackUrl?: string;
  /** Origin (and optional path prefix) of the streamloop API; default: this page's origin. */
  apiBase?: string;
  /** A simulated viewer: asks the API with `?synthetic=1`, so the origin marks its CMCD beacons too. */
  synthetic?: true;
  /** The SDK's viewer id: a running experiment assigns this viewer's arm by it. */
  viewerId?: string;
}

/** 10 Gbit/s: a hint above it is a broken answer, not a network, and is ignored. */
const MAX_START_BITRATE_KBPS = 10_000_000;

export function mimeTypeOf(url: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  return path.endsWith('.mpd') ? 'application/dash+xml' : 'application/x-mpegURL';
}

/**
 * The playback API's URL for a video: `?synthetic=1` for a simulated viewer, and the viewer's id
 * (`viewerId=`), by which a running ladder experiment keeps this viewer in the same arm every time.
 */
export function playbackApiUrl(
  apiBase: string | undefined,
  videoId: string,
  options: { synthetic?: true; viewerId?: string } = {},
): string {
  const url = `${(apiBase ?? '').replace(/\/+$/, '')}/api/v1/videos/${encodeURIComponent(videoId)}/playback`;
  const query = [
    ...(options.synthetic === true ? ['synthetic=1'] : []),
    ...(options.viewerId === undefined ? [] : [`viewerId=${encodeURIComponent(options.viewerId)}`]),
  ];
  return query.length === 0 ? url : `${url}?${query.join('&')}`;
}

export class PlaybackApiError extends Error {
  /** The API's error code (`ERR_PLAYBACK_RESTRICTED`, `ERR_NOT_FOUND`…); undefined when it gave none. */
  readonly code: string | undefined;
  /** HTTP status of the answer; 0 when the API could not be reached. */
  readonly status: number;
  constructor(message: string, status = 0, code?: string) {
    super(message);
    this.name = 'PlaybackApiError';
    this.status = status;
    this.code = code;
  }
}

/** What the error body may carry; a proxy's page or a non-streamloop server gives neither. */
const API_CODE = /^ERR_[A-Z0-9_]{1,60}$/;

export async function resolvePlaybackSource(
  request: PlaybackRequest,
  fetchImpl: (url: string, init: RequestInit) => Promise<Response> = (url, init) => fetch(url, init),
): Promise<PlaybackSource> {
  if (request.playbackUrl !== undefined)
    return { url: request.playbackUrl, type: mimeTypeOf(request.playbackUrl) };
  const apiUrl = playbackApiUrl(request.apiBase, request.videoId, {
    ...(request.synthetic === true ? { synthetic: true as const } : {}),
    ...(request.viewerId === undefined ? {} : { viewerId: request.viewerId }),
  });
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
    const code =
      typeof body?.error?.code === 'string' && API_CODE.test(body.error.code) ? body.error.code : undefined;
    // The code in the message too: a page that shows only the player's message still tells a site
    // the owner has not allowed (ERR_PLAYBACK_RESTRICTED) from an outage.
    throw new PlaybackApiError(
      `the playback API answered ${response.status}${code === undefined ? '' : ` ${code}`}${reason}`,
      response.status,
      code,
    );
  }
  // A relative manifest URL is relative to the API that issued it, not to the page.
  const base = new URL(apiUrl, typeof location === 'undefined' ? 'http://localhost/' : location.href);
  const url = new URL(body.manifestUrl, base).href;
  const source: PlaybackSource = { url, type: mimeTypeOf(url) };
  if (typeof body.variant === 'string' && body.variant.length <= 64) source.variant = body.variant;
  if (typeof body.ladderId === 'string' && body.ladderId.length <= 64) source.ladderId = body.ladderId;
  if (body.synthetic === true) source.synthetic = true;
  const hint = body.startBitrateKbps;
  if (typeof hint === 'number' && Number.isInteger(hint) && hint >= 0 && hint <= MAX_START_BITRATE_KBPS)
    source.startBitrateKbps = hint;
  return source;
}

/** The VHS options a page may set (`playerOptions.html5.vhs`) that decide where playback starts. */
interface PageVhsOptions {
  bandwidth?: unknown;
  useBandwidthFromLocalStorage?: unknown;
  useNetworkInformationApi?: unknown;
}

/**
 * What `player.src()` gets beside the URL so VHS starts from the viewer's hint (`createPlayer`'s
 * `startHint`): `bandwidth` in bit/s, as a source option — VHS copies it from the source over its
 * own options when the source is set (http-streaming's `setOptions_`), so it seeds this player only,
 * before its first playlist choice. With it `useNetworkInformationApi: false`: otherwise Chromium's
 * `navigator.connection.downlink` stands in for VHS's estimate on every choice, the first one too,
 * and the hint would change nothing there; VHS then estimates from its own segment downloads, as it
 * does in browsers without that API. Nothing when there is no hint, or when the page chose its own
 * start (`bandwidth`, `useBandwidthFromLocalStorage`); a page's own `useNetworkInformationApi` stays.
 */
export function startHintSourceOptions(
  startBitrateKbps: number | undefined,
  playerOptions: Record<string, unknown> | undefined,
): { bandwidth?: number; useNetworkInformationApi?: false } {
  const vhs = ((playerOptions?.html5 as { vhs?: PageVhsOptions } | undefined)?.vhs ?? {}) as PageVhsOptions;
  if (
    startBitrateKbps === undefined ||
    vhs.bandwidth !== undefined ||
    vhs.useBandwidthFromLocalStorage === true
  )
    return {};
  return {
    bandwidth: startBitrateKbps * 1000,
    ...(vhs.useNetworkInformationApi === undefined ? { useNetworkInformationApi: false as const } : {}),
  };
}
