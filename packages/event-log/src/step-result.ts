/**
 * What a consumer step returns instead of throwing (STYLE.md, Flow). Bad data is an expected outcome:
 * `drop` when losing the message is right (nothing to do, counted with a reason a person can act on),
 * `deadLetter` when a person must be able to look at it later (a poison message, a job given up);
 * a failing dependency is `retry`. The consumer that runs the steps decides what each means for its
 * batch; the steps never touch a producer.
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
export interface DeadLetter<R extends string = string> {
  kind: 'dead_letter';
  reason: R;
  detail: string;
}
export interface Retry {
  kind: 'retry';
  error: unknown;
}
export type StepResult<T, R extends string = string> = Ok<T> | Drop<R> | DeadLetter<R> | Retry;

export const ok = <T>(value: T): Ok<T> => ({ kind: 'ok', value });
export const drop = <R extends string>(reason: R, detail: string): Drop<R> => ({
  kind: 'drop',
  reason,
  detail,
});
export const deadLetter = <R extends string>(reason: R, detail: string): DeadLetter<R> => ({
  kind: 'dead_letter',
  reason,
  detail,
});
export const retry = (error: unknown): Retry => ({ kind: 'retry', error });
