/**
 * What a consumer step returns instead of throwing (STYLE.md, Flow): bad data is an expected
 * outcome (`drop` with a reason a person can act on), a failing dependency is `retry`.
 */
export interface Ok<T> {
  kind: 'ok';
  value: T;
}
export interface Drop<R extends string = string> {
  kind: 'drop';
  reason: R;
  detail: string;
}
export interface Retry {
  kind: 'retry';
  error: unknown;
}
export type StepResult<T, R extends string = string> = Ok<T> | Drop<R> | Retry;

export const ok = <T>(value: T): Ok<T> => ({ kind: 'ok', value });
export const drop = <R extends string>(reason: R, detail: string): Drop<R> => ({
  kind: 'drop',
  reason,
  detail,
});
export const retry = (error: unknown): Retry => ({ kind: 'retry', error });

/** Why a message never reaches the table; the label values of the dropped-beacons counter. */
export type DropReason = 'invalid_json' | 'invalid_envelope' | 'invalid_beacon' | 'value_out_of_range';
export const DROP_REASONS: readonly DropReason[] = [
  'invalid_json',
  'invalid_envelope',
  'invalid_beacon',
  'value_out_of_range',
];
