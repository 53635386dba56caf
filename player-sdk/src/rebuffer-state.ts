/**
 * The rebuffering state machine, free of players and clocks so every transition is unit-tested.
 *
 * A stall is `waiting` after the first frame while playing. Waiting before the first frame is
 * startup; waiting during a seek (until the playhead moves again) is seek latency. A stall ends
 * when the playhead moves, or early when the viewer seeks, pauses, or the media ends.
 */
/**
 * How far the player itself moves a stalled playhead. VHS' playback watcher unsticks a stall with a
 * seek of its own: to the start of the next buffered range (`skipTheGap_`, a few frames to a
 * fraction of a second ahead) or to the current time (its last-resort corrective seek). Such a seek
 * is part of the stall, not the viewer seeking: counted as a seek it turned an 11 s stall into 7 ms
 * of rebuffering and an 11 s "seek" (issue 11's validation run). A viewer does not seek by less.
 */
export const PLAYER_NUDGE_MAX_SEC = 1;

/** A seek from `fromSec` to `toSec` during a stall that the player, not the viewer, made. */
export function isPlayerNudge(fromSec: number, toSec: number): boolean {
  return Math.abs(toSec - fromSec) <= PLAYER_NUDGE_MAX_SEC;
}

export type RebufferPhase = 'starting' | 'playing' | 'stalled' | 'seeking';

export type RebufferInput = 'firstframe' | 'waiting' | 'seeking' | 'seeked' | 'progress' | 'pause' | 'ended';

export type RebufferOutput = { type: 'start' } | { type: 'end'; durationMs: number } | undefined;

export interface RebufferState {
  phase(): RebufferPhase;
  next(input: RebufferInput, nowMs: number): RebufferOutput;
  /** Ends an open stall (the view is ending); undefined when none is open. */
  close(nowMs: number): RebufferOutput;
}

export function createRebufferState(): RebufferState {
  let phase: RebufferPhase = 'starting';
  let stalledAt = 0;

  const endStall = (nowMs: number, then: RebufferPhase): RebufferOutput => {
    phase = then;
    return { type: 'end', durationMs: Math.max(0, Math.round(nowMs - stalledAt)) };
  };

  return {
    phase: () => phase,
    next(input, nowMs) {
      switch (phase) {
        case 'starting':
          if (input === 'firstframe') phase = 'playing';
          return undefined;
        case 'playing':
          if (input === 'waiting') {
            phase = 'stalled';
            stalledAt = nowMs;
            return { type: 'start' };
          }
          if (input === 'seeking') phase = 'seeking';
          return undefined;
        case 'stalled':
          if (input === 'progress' || input === 'pause' || input === 'ended')
            return endStall(nowMs, 'playing');
          if (input === 'seeking') return endStall(nowMs, 'seeking');
          return undefined;
        case 'seeking':
          if (input === 'progress') phase = 'playing';
          return undefined;
      }
    },
    close(nowMs) {
      return phase === 'stalled' ? endStall(nowMs, 'playing') : undefined;
    },
  };
}
