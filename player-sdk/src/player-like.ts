/**
 * The slice of a video.js player the controllers use: public events and getters only. A video.js 8
 * `Player` satisfies it structurally; unit tests drive a small fake instead of a browser.
 */
export type Listener = (event?: unknown) => void;

export interface PlayerEvents {
  on(type: string, fn: Listener): void;
  off(type: string, fn: Listener): void;
}

export interface PlayerError {
  code?: number | string;
  message?: string;
}

/** One rendition as the quality-levels API (fed by VHS) describes it. */
export interface QualityLevelLike {
  id: string;
  bitrate?: number;
  width?: number;
  height?: number;
}

/** video.js' `player.qualityLevels()` list: array-like, with a 'change' event when VHS switches. */
export interface QualityLevelListLike extends PlayerEvents {
  readonly length: number;
  readonly selectedIndex: number;
  [index: number]: QualityLevelLike | undefined;
}

/** The options object VHS hands to its request hooks (`vhs.xhr.onRequest`), as far as we read it. */
export interface VhsRequestOptions {
  uri: string;
  requestType?: string;
  headers?: Record<string, string>;
  beforeSend?: (xhr: XMLHttpRequest) => void;
  [key: string]: unknown;
}

export type VhsRequestHook = (options: VhsRequestOptions) => VhsRequestOptions;

/** One playlist of VHS' parsed main manifest (`vhs.playlists.main.playlists[i]`). */
export interface VhsPlaylistLike {
  /** AUDIO: the variant's audio group (demuxed audio, e.g. CMAF), so its own segments are video only. */
  attributes?: { BANDWIDTH?: number; CODECS?: string; AUDIO?: string };
  segments?: { resolvedUri?: string; duration?: number; map?: { resolvedUri?: string } }[];
}

/** The documented parts of VHS (`player.tech().vhs`): request hooks, the manifest, the ABR estimate. */
export interface VhsLike {
  xhr?: {
    onRequest?(hook: VhsRequestHook): void;
    offRequest?(hook: VhsRequestHook): void;
  };
  playlists?: {
    main?: {
      playlists?: VhsPlaylistLike[];
      /** Alternate renditions by type, group and name (VHS' parsed `#EXT-X-MEDIA` / DASH audio sets). */
      mediaGroups?: { AUDIO?: Record<string, Record<string, { playlists?: VhsPlaylistLike[] }>> };
    };
  };
  /** Bits per second: the throughput estimate VHS' ABR decides with. */
  bandwidth?: number;
}

export interface TechLike extends Partial<PlayerEvents> {
  el(): Element;
  vhs?: VhsLike;
}

export interface PlayerLike extends PlayerEvents {
  currentTime(): number | undefined;
  paused(): boolean;
  seeking(): boolean;
  error(): PlayerError | null | undefined;
  duration?(): number | undefined;
  /** Buffered ranges of the media (TimeRanges). */
  buffered?(): TimeRanges | undefined;
  playbackRate?(): number | undefined;
  ended?(): boolean;
  /** MIME type of the current source (`application/x-mpegURL`, `application/dash+xml`). */
  currentType?(): string | undefined;
  /** Present on video.js players; the plugin ships with video.js 8 and VHS feeds it. */
  qualityLevels?(): QualityLevelListLike;
  /** video.js: the playback tech; `true` acknowledges we only read it. */
  tech?(safety: true): TechLike | undefined;
}

/** The tech's video element, or undefined before video.js has loaded one (or in a fake). */
export function videoElementOf(player: PlayerLike): HTMLVideoElement | undefined {
  try {
    const el = player.tech?.(true)?.el();
    return el && 'videoWidth' in el ? (el as HTMLVideoElement) : undefined;
  } catch {
    return undefined;
  }
}

/** VHS of the current source, when the source plays through it. */
export function vhsOf(player: PlayerLike): VhsLike | undefined {
  try {
    return player.tech?.(true)?.vhs;
  } catch {
    return undefined;
  }
}

/** Seconds of media buffered ahead of the playhead. */
export function bufferAheadSeconds(player: PlayerLike): number {
  const ranges = player.buffered?.();
  const now = player.currentTime() ?? 0;
  if (!ranges) return 0;
  for (let i = 0; i < ranges.length; i++) {
    // A small tolerance: the playhead can sit a few ms before a range that starts at a segment edge.
    if (ranges.start(i) - 0.1 <= now && now <= ranges.end(i)) return ranges.end(i) - now;
  }
  return 0;
}
