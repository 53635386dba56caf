/**
 * When an experiment's results are looked at: cumulatively, once per hour since it started — or, past
 * MAX_LOOKS hours, once per whole number of hours that keeps the count at MAX_LOOKS or under (each
 * look is a p95 walk and a step of every always-valid state). Skipping looks never costs validity: the
 * always-valid state only ever sees fewer looks, never a different sample.
 */
const HOUR_MS = 3_600_000;
export const MAX_LOOKS = 48;

export interface LookSchedule {
  startMs: number;
  endMs: number;
  stepMs: number;
  /** Look k covers views that started in [startMs, min(startMs + (k + 1) · stepMs, endMs)). */
  looks: number;
}

export function lookSchedule(startMs: number, endMs: number): LookSchedule {
  const hours = Math.max(1, Math.ceil((endMs - startMs) / HOUR_MS));
  const stepHours = Math.ceil(hours / MAX_LOOKS);
  return {
    startMs,
    endMs,
    stepMs: stepHours * HOUR_MS,
    looks: endMs > startMs ? Math.ceil(hours / stepHours) : 0,
  };
}

/** When look k ends. */
export const lookEndMs = (schedule: LookSchedule, look: number): number =>
  Math.min(schedule.startMs + (look + 1) * schedule.stepMs, schedule.endMs);
