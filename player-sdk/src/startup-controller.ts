/**
 * Video startup time: from the intent to play (the player's first `play`, by the viewer or by
 * autoplay, or `monitor.playRequested()`) to the first frame with the playhead moving. Emits
 * `playrequest` and `firstframe`. A fatal error before the first frame is a video start failure:
 * no startup time is ever recorded for that view.
 */
import type { Emit } from './beacon-factory.js';
import type { Clock } from './clock.js';
import type { FrameSource } from './frame-source.js';
import type { Listener, PlayerLike } from './player-like.js';

export interface StartupDeps {
  player: PlayerLike;
  clock: Clock;
  emit: Emit;
  frames: FrameSource;
  /** Told once, when the first frame is up (rebuffer and watch time start counting from there). */
  onFirstFrame(): void;
}

export interface StartupController {
  /** Records play intent now, unless it was already recorded. */
  requestPlay(): void;
  /** Play intent was recorded. */
  requested(): boolean;
  /** The first frame is up (playback has started). */
  started(): boolean;
  /** Intent to first frame, once known. */
  startupTimeMs(): number | undefined;
  destroy(): void;
}

export function createStartupController(deps: StartupDeps): StartupController {
  const { player, clock, emit } = deps;
  let intentAt: number | undefined;
  let done = false;
  let startup: number | undefined;
  let lastPosition = 0;
  let cancelFrame: (() => void) | undefined;

  const position = (): number => player.currentTime() ?? 0;

  const firstFrame = (): void => {
    if (done || intentAt === undefined) return;
    done = true;
    disarm();
    startup = Math.round(clock.monotonic() - intentAt);
    emit('firstframe', { startupTimeMs: startup });
    deps.onFirstFrame();
  };

  const awaitFrame = (): void => {
    cancelFrame = deps.frames.next(() => {
      cancelFrame = undefined;
      // A paused element still presents its first decoded frame (autoplay blocked): not playback.
      if (player.paused()) awaitFrame();
      else firstFrame();
    });
  };

  // Fallback and race partner of the frame callback: the playhead moving forward on its own.
  const onTimeUpdate: Listener = () => {
    const now = position();
    if (now > lastPosition && !player.paused() && !player.seeking()) firstFrame();
    else lastPosition = now;
  };
  // A seek before the first frame moves the playhead without playing anything.
  const onSeek: Listener = () => {
    lastPosition = position();
  };
  const onPlay: Listener = () => requestPlay();
  // video.js errors are fatal: whatever follows is not this view's start.
  const onError: Listener = () => {
    if (done) return;
    done = true;
    disarm();
  };

  function disarm(): void {
    cancelFrame?.();
    cancelFrame = undefined;
    player.off('timeupdate', onTimeUpdate);
    player.off('seeking', onSeek);
    player.off('seeked', onSeek);
  }

  function requestPlay(): void {
    if (intentAt !== undefined || done) return;
    intentAt = clock.monotonic();
    lastPosition = position();
    emit('playrequest');
    player.on('timeupdate', onTimeUpdate);
    player.on('seeking', onSeek);
    player.on('seeked', onSeek);
    awaitFrame();
  }

  player.on('play', onPlay);
  player.on('error', onError);

  return {
    requestPlay,
    requested: () => intentAt !== undefined,
    started: () => startup !== undefined,
    startupTimeMs: () => startup,
    destroy() {
      disarm();
      player.off('play', onPlay);
      player.off('error', onError);
    },
  };
}
