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

export interface PlayerLike extends PlayerEvents {
  currentTime(): number | undefined;
  paused(): boolean;
  seeking(): boolean;
  error(): PlayerError | null | undefined;
  /** Present on video.js players; the plugin ships with video.js 8 and VHS feeds it. */
  qualityLevels?(): QualityLevelListLike;
  /** video.js: the playback tech; `true` acknowledges we only read its element. */
  tech?(safety: true): { el(): Element } | undefined;
}
