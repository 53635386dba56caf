/**
 * Where the time of a view went, free of players and clocks so it is unit-tested with plain numbers.
 *
 * - `playing`: frames advancing; `waiting`: the viewer wants playback but a stall or a seek holds it;
 *   `paused`: the viewer paused; `idle` (before the first frame) and `ended` count nowhere.
 * - while playing, the picture is upscaled, downscaled or shown at its size (`scale`).
 * Watch time = playing + waiting (stalls and seek latency included, pauses not).
 */
export type PlaybackState = 'idle' | 'playing' | 'waiting' | 'paused' | 'ended';
export type Scale = 'up' | 'down' | 'same' | undefined;

export interface MeterReading {
  playMs: number;
  waitMs: number;
  pauseMs: number;
  upscaleMs: number;
  downscaleMs: number;
}

const ZERO: MeterReading = { playMs: 0, waitMs: 0, pauseMs: 0, upscaleMs: 0, downscaleMs: 0 };
type Key = keyof MeterReading;

export interface PlaybackMeter {
  state(): PlaybackState;
  set(state: PlaybackState, nowMs: number): void;
  setScale(scale: Scale, nowMs: number): void;
  /** Time since the previous take, in whole ms (the sub-ms remainder is kept for the next). */
  take(nowMs: number): MeterReading;
  /** Time since the view began, in ms. */
  totals(nowMs: number): MeterReading;
}

export function createPlaybackMeter(startMs: number): PlaybackMeter {
  let state: PlaybackState = 'idle';
  let scale: Scale;
  let since = startMs;
  const pending: MeterReading = { ...ZERO };
  const total: MeterReading = { ...ZERO };

  const add = (key: Key, ms: number): void => {
    pending[key] += ms;
    total[key] += ms;
  };
  const advance = (nowMs: number): void => {
    const ms = Math.max(0, nowMs - since);
    since = Math.max(since, nowMs);
    if (state === 'playing') {
      add('playMs', ms);
      if (scale === 'up') add('upscaleMs', ms);
      if (scale === 'down') add('downscaleMs', ms);
    } else if (state === 'waiting') add('waitMs', ms);
    else if (state === 'paused') add('pauseMs', ms);
  };

  return {
    state: () => state,
    set(next, nowMs) {
      advance(nowMs);
      state = next;
    },
    setScale(next, nowMs) {
      advance(nowMs);
      scale = next;
    },
    take(nowMs) {
      advance(nowMs);
      const reading = { ...ZERO };
      for (const key of Object.keys(ZERO) as Key[]) {
        reading[key] = Math.floor(pending[key]);
        pending[key] -= reading[key];
      }
      return reading;
    },
    totals(nowMs) {
      advance(nowMs);
      const reading = { ...ZERO };
      for (const key of Object.keys(ZERO) as Key[]) reading[key] = Math.round(total[key]);
      return reading;
    },
  };
}

/**
 * Up- or downscaled: the video fitted into the player (object-fit: contain, as video.js shows it),
 * in device pixels, against the rendition's own size. Within 1 % counts as shown at its size.
 */
export function scaleOf(
  video: { width: number; height: number },
  player: { width: number; height: number },
  devicePixelRatio: number,
): Scale {
  if (video.width <= 0 || video.height <= 0 || player.width <= 0 || player.height <= 0) return undefined;
  const factor = Math.min(player.width / video.width, player.height / video.height) * (devicePixelRatio || 1);
  if (factor > 1.01) return 'up';
  if (factor < 0.99) return 'down';
  return 'same';
}
