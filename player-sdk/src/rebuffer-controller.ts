/**
 * Feeds player events into the rebuffer state machine and emits `rebufferstart` / `rebufferend`.
 */
import type { Emit } from './beacon-factory.js';
import type { Clock } from './clock.js';
import type { Listener, PlayerLike } from './player-like.js';
import { createRebufferState, type RebufferInput, type RebufferOutput } from './rebuffer-state.js';

export interface RebufferController {
  firstFrame(): void;
  /** The view is ending: report an open stall up to now (a viewer leaving mid-stall matters most). */
  close(): void;
  destroy(): void;
}

export function createRebufferController(deps: {
  player: PlayerLike;
  clock: Clock;
  emit: Emit;
}): RebufferController {
  const { player, clock, emit } = deps;
  const state = createRebufferState();
  let lastPosition = player.currentTime() ?? 0;

  const report = (output: RebufferOutput): void => {
    if (output?.type === 'start') emit('rebufferstart');
    else if (output?.type === 'end') emit('rebufferend', { rebufferDurationMs: output.durationMs });
  };
  const feed = (input: RebufferInput): void => report(state.next(input, clock.monotonic()));

  const onWaiting: Listener = () => {
    if (!player.paused()) feed(player.seeking() ? 'seeking' : 'waiting');
  };
  const onSeeking: Listener = () => feed('seeking');
  const onSeeked: Listener = () => {
    lastPosition = player.currentTime() ?? lastPosition;
    feed('seeked');
  };
  const onPlaying: Listener = () => feed('progress');
  const onTimeUpdate: Listener = () => {
    const now = player.currentTime() ?? lastPosition;
    const advanced = now > lastPosition;
    lastPosition = now;
    if (advanced && !player.seeking() && !player.paused()) feed('progress');
  };
  const onPause: Listener = () => feed('pause');
  const onEnded: Listener = () => feed('ended');

  const listeners: [string, Listener][] = [
    ['waiting', onWaiting],
    ['seeking', onSeeking],
    ['seeked', onSeeked],
    ['playing', onPlaying],
    ['timeupdate', onTimeUpdate],
    ['pause', onPause],
    ['ended', onEnded],
  ];
  for (const [type, fn] of listeners) player.on(type, fn);

  return {
    firstFrame: () => feed('firstframe'),
    close: () => report(state.close(clock.monotonic())),
    destroy() {
      for (const [type, fn] of listeners) player.off(type, fn);
    },
  };
}
