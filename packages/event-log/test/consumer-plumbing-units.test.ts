/** The pure parts of the consumer plumbing: backoff bounds, step results, a letter's shape. */
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryUntilOk } from '../src/backoff.js';
import { toDeadLetter } from '../src/dead-letter-output.js';
import { deadLetter, drop, ok, retry } from '../src/step-result.js';

describe('backoffDelayMs', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000 };
  it.each([
    [0, 50, 100],
    [1, 100, 200],
    [3, 400, 800],
    [4, 500, 1_000],
    [40, 500, 1_000],
  ])('attempt %i waits between %i and %i ms (equal jitter, capped)', (attempt, low, high) => {
    expect(backoffDelayMs(attempt, options, () => 0)).toBe(low);
    expect(backoffDelayMs(attempt, options, () => 1)).toBe(high);
  });
  it('spreads members that failed together', () => {
    expect(backoffDelayMs(2, options, () => 0.1)).not.toBe(backoffDelayMs(2, options, () => 0.9));
  });
});

describe('step results', () => {
  it.each([
    [ok(3), { kind: 'ok', value: 3 }],
    [drop('skipped', 'deleted'), { kind: 'drop', reason: 'skipped', detail: 'deleted' }],
    [deadLetter('invalid_json', 'eof'), { kind: 'dead_letter', reason: 'invalid_json', detail: 'eof' }],
  ])('%o', (result, expected) => {
    expect(result).toEqual(expected);
  });
  it('retry carries its error', () => {
    const error = new Error('store down');
    expect(retry(error)).toEqual({ kind: 'retry', error });
  });
});

describe('toDeadLetter', () => {
  const message = { topic: 't', partition: 2, offset: '41', key: 'k', timestamp: 0 };
  const why = { reason: 'invalid_json', detail: 'eof', service: 'analytics', deadAt: new Date(0) };
  it('keeps UTF-8 as text and anything else as base64', () => {
    expect(toDeadLetter({ ...message, value: Buffer.from('é{') }, why)).toMatchObject({
      value: 'é{',
      valueEncoding: 'utf8',
      source: { topic: 't', partition: 2, offset: '41', key: 'k' },
      deadAt: '1970-01-01T00:00:00.000Z',
    });
    expect(toDeadLetter({ ...message, value: Buffer.from([0xc3]) }, why)).toMatchObject({
      value: 'ww==',
      valueEncoding: 'base64',
    });
  });
});

describe('retryUntilOk', () => {
  const backoff = { initialDelayMs: 1, maxDelayMs: 5 };
  it('tries again after each retry and returns the first ok value', async () => {
    const answers = [retry(new Error('down')), retry(new Error('still down')), ok(42)];
    const retried: number[] = [];
    const value = await retryUntilOk(async () => answers.shift()!, {
      backoff,
      signal: new AbortController().signal,
      onRetry: (_err, attempt) => retried.push(attempt),
    });
    expect(value).toBe(42);
    expect(retried).toEqual([1, 2]);
  });
  it('gives up with the reason when its signal aborts, even on an attempt that never answers', async () => {
    const stop = new AbortController();
    const pending = retryUntilOk(() => new Promise<never>(() => undefined), {
      backoff,
      signal: stop.signal,
      onRetry: () => undefined,
    });
    stop.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });
});
