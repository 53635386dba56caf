/**
 * Watch time: time after the first frame during which the viewer wanted playback (not paused, not
 * ended), stalls and seeks included, so rebuffer ratio = Σ rebufferDurationMs / Σ watchTimeMs.
 */
export interface WatchTimeMeter {
  start(nowMs: number): void;
  stop(nowMs: number): void;
  running(): boolean;
  /** Watch time accumulated since the previous take, rounded to ms; restarts the count. */
  take(nowMs: number): number;
}

export function createWatchTimeMeter(): WatchTimeMeter {
  let since: number | undefined;
  let banked = 0;
  return {
    start(nowMs) {
      since ??= nowMs;
    },
    stop(nowMs) {
      if (since === undefined) return;
      banked += Math.max(0, nowMs - since);
      since = undefined;
    },
    running: () => since !== undefined,
    take(nowMs) {
      let total = banked;
      if (since !== undefined) {
        total += Math.max(0, nowMs - since);
        since = nowMs;
      }
      // Keep the sub-millisecond remainder out of the sum rather than rounding it up every time.
      const whole = Math.floor(total);
      banked = total - whole;
      return whole;
    },
  };
}
