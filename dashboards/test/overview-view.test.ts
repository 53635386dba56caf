/** How the overview writes a metric's change against the period before: worked by hand, case by case. */
import { describe, expect, it } from 'vitest';
import { describeChange, metricOf, spanLabel } from '../src/ui/overview-view.js';

describe('describeChange', () => {
  it.each([
    // metric, now, before → text, direction
    ['plays', 30, 20, '+50.0 %', 'better'], // (30 − 20) / 20
    ['plays', 15, 20, '−25.0 %', 'worse'],
    ['startup-p50', 900, 1200, '−25.0 %', 'better'], // lower startup is better
    ['startup-p95', 2400, 2000, '+20.0 %', 'worse'],
    ['rebuffer-ratio', 0.012, 0.02, '−0.80 pts', 'better'], // 1.20 % from 2.00 %
    ['start-failures', 2.5, 1, '+1.50 pts', 'worse'], // already in percent
    ['qoe-score', 81.25, 80, '+1.3 points', 'better'], // 1.25 rounds to 1.3
    ['errors', 0, 4, '−100.0 %', 'better'],
    ['plays', 20, 20, 'no change from the period before', 'same'],
  ] as const)('%s %d against %d: %s (%s)', (name, now, before, text, direction) => {
    expect(describeChange(metricOf(name), now, before)).toEqual({ text, direction });
  });

  it('has nothing to compare with when either period has no value, or a count grew from zero', () => {
    const none = { text: 'nothing to compare with in the period before', direction: 'none' };
    expect(describeChange(metricOf('startup-p50'), 900, null)).toEqual(none);
    expect(describeChange(metricOf('startup-p50'), null, 900)).toEqual(none);
    expect(describeChange(metricOf('plays'), 3, 0)).toEqual(none);
  });
});

describe('spanLabel', () => {
  it.each([
    [24 * 3_600_000, '24 h'],
    [7 * 24 * 3_600_000, '7 d'],
    [90 * 60_000, '90 min'],
  ])('%d ms is %s', (ms, label) => {
    expect(spanLabel(ms)).toBe(label);
  });
});
