/**
 * A `heartbeat` every `intervalMs` while the viewer is watching (playing, or waiting through a stall
 * or a seek), carrying the counters since the previous one; `viewend` carries the rest. Also the
 * viewer's `pause` and `play` (resume) after the first frame.
 *
 * Each heartbeat covers time on ONE rendition on screen: when the picture switches to another rung
 * (the video element's `resize`), the interval so far is sent at once. So `bitrateKbps`/`width`/
 * `height` on a heartbeat are what was shown during its `playTimeMs`, and SQL gets the time at each
 * rung and the time-weighted bitrate exactly: Σ playTimeMs by rung, Σ(bitrateKbps·playTimeMs)/Σ playTimeMs.
 */
import type { BeaconFields, Emit } from './beacon-factory.js';
import type { Clock } from './clock.js';
import { createPlaybackMeter, type MeterReading, type PlaybackState, scaleOf } from './playback-meter.js';
import { type Listener, type PlayerLike, videoElementOf } from './player-like.js';
import type { Rung } from './rendition-controller.js';

export interface HeartbeatDeps {
  player: PlayerLike;
  clock: Clock;
  emit: Emit;
  intervalMs?: number;
  /** A stall or a seek holds playback now. */
  waiting(): boolean;
  /** The rung with this picture size (VHS' quality levels). */
  rungOfSize(width: number, height: number): Rung | undefined;
  /** Other counters since the previous heartbeat (network, frames), taken once per beacon. */
  counters(): BeaconFields;
  devicePixelRatio?(): number;
  /** Runs `task` later, off the current event's path (the picture is read after the first frame). */
  defer?(task: () => void): void;
}

export interface ViewTotals {
  watchTimeMs: number;
  playTimeMs: number;
  pauseTimeMs: number;
  upscaleTimeMs: number;
  downscaleTimeMs: number;
  completionPercent: number | undefined;
  /** The rung on screen and the player's size in CSS pixels. */
  displayed: Rung | undefined;
  playerWidth: number | undefined;
  playerHeight: number | undefined;
}

export interface HeartbeatController {
  firstFrame(): void;
  /** Re-reads the playback state (after a stall or seek began or ended). */
  refresh(): void;
  /** Everything not yet reported, for `viewend`. */
  take(): BeaconFields;
  totals(): ViewTotals;
  destroy(): void;
}

const WATCHING: readonly PlaybackState[] = ['playing', 'waiting'];

export function createHeartbeatController(deps: HeartbeatDeps): HeartbeatController {
  const { player, clock, emit } = deps;
  const intervalMs = deps.intervalMs ?? 10_000;
  const meter = createPlaybackMeter(clock.monotonic());
  const dpr = deps.devicePixelRatio ?? (() => (typeof devicePixelRatio === 'number' ? devicePixelRatio : 1));
  let started = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let displayed: Rung | undefined;
  let playerSize: { width: number; height: number } | undefined;
  let maxPlayheadS = 0;
  let finished = false;

  const completion = (): number | undefined => {
    const duration = player.duration?.();
    if (finished) return 100;
    if (duration === undefined || !Number.isFinite(duration) || duration <= 0) return undefined;
    return Math.min(100, Math.round((maxPlayheadS / duration) * 1000) / 10);
  };

  // Watch time is playing plus waiting (stalls and seeks), the Mux definition.
  const timeFields = (reading: MeterReading) => ({
    watchTimeMs: reading.playMs + reading.waitMs,
    playTimeMs: reading.playMs,
    pauseTimeMs: reading.pauseMs,
    upscaleTimeMs: reading.upscaleMs,
    downscaleTimeMs: reading.downscaleMs,
  });

  const take = (): BeaconFields => ({
    ...timeFields(meter.take(clock.monotonic())),
    ...displayed,
    playerWidth: playerSize?.width,
    playerHeight: playerSize?.height,
    completionPercent: completion(),
    ...deps.counters(),
  });
  const beat = (): void => emit('heartbeat', take());

  const stateNow = (): PlaybackState => {
    if (!started) return 'idle';
    if (player.ended?.() || finished) return 'ended';
    if (player.paused()) return 'paused';
    return deps.waiting() ? 'waiting' : 'playing';
  };

  const refresh = (): void => {
    const next = stateNow();
    const previous = meter.state();
    if (next === previous) return;
    meter.set(next, clock.monotonic());
    // The viewer's pauses and resumes (not the pause browsers fire when the media ends).
    if (next === 'paused' && WATCHING.includes(previous)) emit('pause');
    if (previous === 'paused' && WATCHING.includes(next)) emit('play');
    const watching = WATCHING.includes(next);
    if (watching && timer === undefined) timer = setInterval(beat, intervalMs);
    if (!watching && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const readPicture = (): void => {
    const video = videoElementOf(player);
    if (!video) return;
    playerSize = { width: video.clientWidth, height: video.clientHeight };
    const size = { width: video.videoWidth, height: video.videoHeight };
    meter.setScale(scaleOf(size, playerSize, dpr()), clock.monotonic());
    if (size.width <= 0 || size.height <= 0) return;
    if (displayed?.width === size.width && displayed.height === size.height) return;
    // The interval so far was spent on the previous rung: report it before the picture changes.
    if (started && displayed !== undefined) beat();
    displayed = deps.rungOfSize(size.width, size.height) ?? size;
  };

  // Four times a second while playing. Leaving `playing` always comes with its own event (pause,
  // ended, a stall or seek through onChange), so only the other states are re-read here.
  const onTimeUpdate: Listener = () => {
    if (meter.state() === 'playing') maxPlayheadS = Math.max(maxPlayheadS, player.currentTime() ?? 0);
    else refresh();
  };
  const onEnded: Listener = () => {
    finished = true;
    refresh();
  };
  const onPlay: Listener = () => {
    finished = false;
    refresh();
  };
  const onRefresh: Listener = () => refresh();
  // Reading the player's size forces a layout: never before the first frame, which reads it anyway.
  const onResize: Listener = () => {
    if (started) readPicture();
  };

  const listeners: [string, Listener][] = [
    ['play', onPlay],
    ['playing', onRefresh],
    ['pause', onRefresh],
    ['waiting', onRefresh],
    ['seeking', onRefresh],
    ['seeked', onRefresh],
    ['ended', onEnded],
    ['timeupdate', onTimeUpdate],
    ['resize', onResize],
    ['playerresize', onResize],
    ['loadedmetadata', onResize],
  ];
  for (const [type, fn] of listeners) player.on(type, fn);

  return {
    firstFrame() {
      started = true;
      maxPlayheadS = player.currentTime() ?? 0;
      refresh();
      // The picture is on screen: its size and the player's are read after it, not in its way.
      if (deps.defer) deps.defer(readPicture);
      else readPicture();
    },
    refresh,
    take,
    totals() {
      return {
        ...timeFields(meter.totals(clock.monotonic())),
        completionPercent: completion(),
        displayed,
        playerWidth: playerSize?.width,
        playerHeight: playerSize?.height,
      };
    },
    destroy() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      for (const [type, fn] of listeners) player.off(type, fn);
    },
  };
}
