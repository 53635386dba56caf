/**
 * Feeds player events into the rebuffer state machine and emits `rebufferstart` / `rebufferend`.
 */
import type { Emit } from './beacon-factory.js';
import type { Clock } from './clock.js';
import type { Listener, PlayerLike } from './player-like.js';
import {
  createRebufferState,
  isPlayerNudge,
  type RebufferInput,
  type RebufferOutput,
} from './rebuffer-state.js';

export interface RebufferController {
  firstFrame(): void;
  /** A stall is open now. */
  stalled(): boolean;
  /** Stalls so far and their total length, an open one counted up to now. */
  totals(): { count: number; durationMs: number };
  /** The view is ending: report an open stall up to now (a viewer leaving mid-stall matters most). */
  close(): void;
  destroy(): void;
}

export function createRebufferController(deps: {
  player: PlayerLike;
  clock: Clock;
  emit: Emit;
  /** Told after every stall start and end. */
  onChange?(stalled: boolean): void;
}): RebufferController {
  const { player, clock, emit } = deps;
  const state = createRebufferState();
  let lastPosition = player.currentTime() ?? 0;
  let count = 0;
  let doneMs = 0;
  let openedAt = 0;
  // A seek of the player's own during a stall (isPlayerNudge) is open: the stall goes on.
  let nudging = false;

  const report = (output: RebufferOutput): void => {
    if (output?.type === 'start') {
      count++;
      openedAt = clock.monotonic();
      emit('rebufferstart');
    } else if (output?.type === 'end') {
      doneMs += output.durationMs;
      emit('rebufferend', { rebufferDurationMs: output.durationMs });
    } else return;
    deps.onChange?.(output.type === 'start');
  };
  const feed = (input: RebufferInput): void => report(state.next(input, clock.monotonic()));

  const onWaiting: Listener = () => {
    if (!player.paused()) feed(player.seeking() && !nudging ? 'seeking' : 'waiting');
  };
  const onSeeking: Listener = () => {
    // At `seeking` the playhead already names the target; lastPosition is where it stalled.
    if (state.phase() === 'stalled' && isPlayerNudge(lastPosition, player.currentTime() ?? lastPosition)) {
      nudging = true;
      return;
    }
    feed('seeking');
  };
  const onSeeked: Listener = () => {
    lastPosition = player.currentTime() ?? lastPosition;
    if (nudging) nudging = false;
    else feed('seeked');
  };
  const onPlaying: Listener = () => feed('progress');
  // Four times a second while playing: progress only matters while a stall or a seek is open, so the
  // common case reads the playhead and nothing else.
  const onTimeUpdate: Listener = () => {
    const now = player.currentTime() ?? lastPosition;
    const advanced = now > lastPosition;
    lastPosition = now;
    const phase = state.phase();
    if (advanced && (phase === 'stalled' || phase === 'seeking') && !player.seeking() && !player.paused())
      feed('progress');
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
    stalled: () => state.phase() === 'stalled',
    totals: () => ({
      count,
      durationMs: Math.round(doneMs + (state.phase() === 'stalled' ? clock.monotonic() - openedAt : 0)),
    }),
    close: () => report(state.close(clock.monotonic())),
    destroy() {
      for (const [type, fn] of listeners) player.off(type, fn);
    },
  };
}
