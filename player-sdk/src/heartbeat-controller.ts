/**
 * A `heartbeat` every `intervalMs` while the viewer is watching, carrying the watch time since the
 * previous one. Paused time is never counted; the remainder at the end goes on `viewend`.
 */
import type { Emit } from './beacon-factory.js';
import type { Clock } from './clock.js';
import type { Listener, PlayerLike } from './player-like.js';
import { createWatchTimeMeter } from './watch-time.js';

export interface HeartbeatController {
  firstFrame(): void;
  /** Watch time not yet reported by a heartbeat (for `viewend`). */
  takeWatchTime(): number;
  destroy(): void;
}

export function createHeartbeatController(deps: {
  player: PlayerLike;
  clock: Clock;
  emit: Emit;
  intervalMs?: number;
}): HeartbeatController {
  const { player, clock, emit } = deps;
  const intervalMs = deps.intervalMs ?? 10_000;
  const meter = createWatchTimeMeter();
  let started = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const beat = (): void => {
    emit('heartbeat', { watchTimeMs: meter.take(clock.monotonic()) });
  };
  const watch = (): void => {
    if (!started || meter.running()) return;
    meter.start(clock.monotonic());
    timer = setInterval(beat, intervalMs);
  };
  const unwatch = (): void => {
    meter.stop(clock.monotonic());
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  const onPlay: Listener = () => watch();
  const onStop: Listener = () => unwatch();
  const listeners: [string, Listener][] = [
    ['play', onPlay],
    ['playing', onPlay],
    ['pause', onStop],
    ['ended', onStop],
  ];
  for (const [type, fn] of listeners) player.on(type, fn);

  return {
    firstFrame() {
      started = true;
      if (!player.paused()) watch();
    },
    takeWatchTime: () => meter.take(clock.monotonic()),
    destroy() {
      unwatch();
      for (const [type, fn] of listeners) player.off(type, fn);
    },
  };
}
