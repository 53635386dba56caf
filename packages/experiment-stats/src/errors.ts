/** Bad input to a statistic: which field and why, so an API can answer 400 with the field named. */
export class StatsInputError extends Error {
  readonly code = 'ERR_STATS_INPUT';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'StatsInputError';
  }
}

export function checkProbability(value: number, field: string): void {
  if (!(value > 0 && value < 1)) throw new StatsInputError(field, `must be in (0, 1), got ${value}`);
}

export function checkFinite(value: number, field: string): void {
  if (!Number.isFinite(value)) throw new StatsInputError(field, `must be a finite number, got ${value}`);
}
