/**
 * Time sources behind an interface so startup and watch-time logic can be tested with a fake clock.
 * `monotonic` never jumps with wall-clock changes, so durations are always computed from it.
 */
export interface Clock {
  /** Wall clock, ms since the epoch. */
  now(): number;
  /** performance.now(): ms since the page started, monotonic. */
  monotonic(): number;
}

export function createBrowserClock(): Clock {
  return { now: () => Date.now(), monotonic: () => performance.now() };
}
