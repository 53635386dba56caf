/** When an experiment is looked at: hourly, coarser once it has run for more than 48 hours. */
import { describe, expect, it } from 'vitest';
import { lookEndMs, lookSchedule } from '../src/experiments/experiment-looks.js';

const HOUR_MS = 3_600_000;
const START = Date.UTC(2026, 0, 1);

describe('lookSchedule', () => {
  it.each([
    // [ran for, step in hours, looks]
    ['10 minutes', 10 * 60_000, 1, 1],
    ['exactly 3 hours', 3 * HOUR_MS, 1, 3],
    ['3 hours and a minute', 3 * HOUR_MS + 60_000, 1, 4],
    ['48 hours', 48 * HOUR_MS, 1, 48],
    ['49 hours: 2-hour steps', 49 * HOUR_MS, 2, 25],
    ['100 hours: 3-hour steps', 100 * HOUR_MS, 3, 34],
    ['30 days: 15-hour steps', 720 * HOUR_MS, 15, 48],
  ])('%s', (_what, ranMs, stepHours, looks) => {
    const schedule = lookSchedule(START, START + ranMs);
    expect(schedule.stepMs).toBe(stepHours * HOUR_MS);
    expect(schedule.looks).toBe(looks);
    // The last look ends when the experiment does, never later.
    expect(lookEndMs(schedule, looks - 1)).toBe(START + ranMs);
    expect(lookEndMs(schedule, 0)).toBe(Math.min(START + stepHours * HOUR_MS, START + ranMs));
  });

  it('has no look before the experiment has run at all', () => {
    expect(lookSchedule(START, START).looks).toBe(0);
  });
});
