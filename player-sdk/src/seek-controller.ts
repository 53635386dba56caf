/**
 * Seeks after the first frame: `seekstart` when the viewer moves the playhead, `seekend` when
 * playback resumes at the new position (the playhead advances, or `seeked` while paused), with
 * `seekDurationMs` (seek latency) and `seekFromMs`. Scrubbing (a seek while one is still open) is
 * one seek from where it began. Waiting during a seek is seek latency, never a rebuffer. A seek the
 * player makes itself to unstick a stall (isPlayerNudge) is not the viewer's: the stall goes on.
 */
import { type Emit, toMs } from './beacon-factory.js';
import type { Clock } from './clock.js';
import type { Listener, PlayerLike } from './player-like.js';
import { isPlayerNudge } from './rebuffer-state.js';

export interface SeekController {
  firstFrame(): void;
  /** A seek is open now. */
  seeking(): boolean;
  /** Seeks so far and their total latency. */
  totals(): { count: number; durationMs: number };
  /** The view is ending: an open seek ends now. */
  close(): void;
  destroy(): void;
}

export function createSeekController(deps: {
  player: PlayerLike;
  clock: Clock;
  emit: Emit;
  onChange?(seeking: boolean): void;
  /** Whether a stall is open (the rebuffer controller), to tell the player's own nudges apart. */
  stalled?(): boolean;
}): SeekController {
  const { player, clock, emit } = deps;
  let started = false;
  let openedAt: number | undefined;
  let settled = false;
  let position = player.currentTime() ?? 0;
  let count = 0;
  let totalMs = 0;
  let nudging = false;

  const end = (): void => {
    if (openedAt === undefined) return;
    const seekDurationMs = Math.round(clock.monotonic() - openedAt);
    openedAt = undefined;
    count++;
    totalMs += seekDurationMs;
    emit('seekend', { seekDurationMs });
    deps.onChange?.(false);
  };

  const onSeeking: Listener = () => {
    if (
      started &&
      openedAt === undefined &&
      deps.stalled?.() &&
      isPlayerNudge(position, player.currentTime() ?? position)
    ) {
      nudging = true;
      return;
    }
    if (!started || openedAt !== undefined) {
      settled = false;
      return;
    }
    openedAt = clock.monotonic();
    settled = false;
    // `currentTime` already names the target here; where the viewer was is the last playhead seen.
    emit('seekstart', { seekFromMs: toMs(position * 1000) });
    deps.onChange?.(true);
  };
  const onSeeked: Listener = () => {
    position = player.currentTime() ?? position;
    if (nudging) {
      nudging = false;
      return;
    }
    settled = true;
    if (player.paused()) end();
  };
  const onTimeUpdate: Listener = () => {
    const now = player.currentTime() ?? position;
    if (openedAt !== undefined && settled && now > position && !player.paused()) end();
    if (!player.seeking()) position = now;
  };
  const onPlaying: Listener = () => {
    if (settled && !player.seeking()) end();
  };

  const listeners: [string, Listener][] = [
    ['seeking', onSeeking],
    ['seeked', onSeeked],
    ['timeupdate', onTimeUpdate],
    ['playing', onPlaying],
  ];
  for (const [type, fn] of listeners) player.on(type, fn);

  return {
    firstFrame() {
      started = true;
    },
    seeking: () => openedAt !== undefined,
    totals: () => ({ count, durationMs: totalMs }),
    close: end,
    destroy() {
      for (const [type, fn] of listeners) player.off(type, fn);
    },
  };
}
