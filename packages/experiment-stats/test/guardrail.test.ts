import { describe, expect, test } from 'vitest';
import { guardrailVerdict } from '../src/guardrail.js';

const interval = (lower: number, upper: number) => ({ alwaysValid: { pValue: 0.5, lower, upper } });

describe('guardrails: sequential non-inferiority with a relative margin', () => {
  test.each([
    // Rebuffer ratio may rise at most 10 %.
    { worse: 'higher', lower: 0.15, upper: 0.4, status: 'breached' },
    { worse: 'higher', lower: -0.05, upper: 0.08, status: 'ok' },
    { worse: 'higher', lower: 0.02, upper: 0.3, status: 'inconclusive' },
    { worse: 'higher', lower: -0.3, upper: 0.3, status: 'inconclusive' },
    // Bitrate on screen may fall at most 10 %: a −15 … −40 % lift is 15 … 40 % harm.
    { worse: 'lower', lower: -0.4, upper: -0.15, status: 'breached' },
    { worse: 'lower', lower: -0.08, upper: 0.2, status: 'ok' },
    { worse: 'lower', lower: -0.2, upper: 0, status: 'inconclusive' },
    // Before any look the interval is [−100 %, ∞).
    { worse: 'higher', lower: -1, upper: Infinity, status: 'inconclusive' },
    { worse: 'lower', lower: -1, upper: Infinity, status: 'inconclusive' },
  ] as const)('$worse is worse, lift in [$lower, $upper] → $status', ({ worse, lower, upper, status }) => {
    const verdict = guardrailVerdict({ margin: 0.1, worse }, interval(lower, upper));
    expect(verdict.status).toBe(status);
  });

  test('the reason names the harm interval and the margin', () => {
    const verdict = guardrailVerdict({ margin: 0.1, worse: 'lower' }, interval(-0.4, -0.15));
    expect(verdict.harmLower).toBeCloseTo(0.15, 12);
    expect(verdict.harmUpper).toBeCloseTo(0.4, 12);
    expect(verdict.reason).toBe('harm in [15.0 %, 40.0 %], entirely beyond the 10.0 % margin');
  });

  test.each([
    ['margin', { margin: 0, worse: 'higher' }],
    ['margin', { margin: Number.NaN, worse: 'higher' }],
    ['worse', { margin: 0.1, worse: 'up' }],
  ])('refuses a bad %s', (field, guardrail) => {
    // @ts-expect-error: the bad direction is the point
    expect(() => guardrailVerdict(guardrail, interval(0, 1))).toThrow(
      expect.objectContaining({ code: 'ERR_STATS_INPUT', field }),
    );
  });
});
