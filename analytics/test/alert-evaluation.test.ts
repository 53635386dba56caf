/**
 * The alert state machine (alerts/alert-evaluation.ts), table-driven: every row's expected change is
 * the rule at the top of that file applied by hand.
 */
import type { AlertRule } from '@streamloop/core/schemas/alerts';
import { describe, expect, it } from 'vitest';
import { alertReading, decideAlert } from '../src/alerts/alert-evaluation.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();
type RuleState = Pick<AlertRule, 'state' | 'threshold' | 'minPlays' | 'cooldownMinutes' | 'lastFiredAt'>;
const ok: RuleState = { state: 'ok', threshold: 5, minPlays: 20, cooldownMinutes: 30, lastFiredAt: null };
const firing: RuleState = { ...ok, state: 'firing', lastFiredAt: minutesAgo(3) };

describe('decideAlert', () => {
  it.each([
    ['ok, above the threshold with enough plays: fires', ok, 5.1, 20, { change: 'firing' }],
    ['ok, exactly at the threshold: stays (fires only above)', ok, 5, 40, { change: null, why: 'unchanged' }],
    ['ok, above but one play short: says nothing', ok, 50, 19, { change: null, why: 'too-few-plays' }],
    ['ok, no value in the window: says nothing', ok, null, 0, { change: null, why: 'too-few-plays' }],
    [
      'ok, above, fired 29 min ago with a 30 min cool-down: held back',
      { ...ok, lastFiredAt: minutesAgo(29) },
      9,
      40,
      { change: null, why: 'cooling-down' },
    ],
    [
      'ok, above, fired 30 min ago with a 30 min cool-down: fires again',
      { ...ok, lastFiredAt: minutesAgo(30) },
      9,
      40,
      { change: 'firing' },
    ],
    [
      'ok, above, no cool-down: fires',
      { ...ok, cooldownMinutes: 0, lastFiredAt: minutesAgo(1) },
      9,
      40,
      { change: 'firing' },
    ],
    ['firing, still above: stays', firing, 6, 40, { change: null, why: 'unchanged' }],
    ['firing, at the threshold: resolves', firing, 5, 40, { change: 'resolved' }],
    ['firing, under but too few plays: stays firing', firing, 0, 3, { change: null, why: 'too-few-plays' }],
  ] as const)('%s', (_name, rule, value, plays, expected) => {
    expect(decideAlert(rule, { value, plays }, NOW)).toEqual(expected);
  });
});

describe('alertReading', () => {
  const metrics = {
    plays: 12,
    videoStartFailurePercent: 8.33,
    rebufferRatio: 0.015,
    startupTimeMs: { p50: 900, p90: 1800, p95: 2400 },
  } as Parameters<typeof alertReading>[0];

  it.each([
    ['videoStartFailurePercent', 8.33],
    ['rebufferRatio', 0.015],
    ['startupTimeP95Ms', 2400],
  ] as const)('reads %s off the QoE metrics, with the plays', (metric, value) => {
    expect(alertReading(metrics, metric)).toEqual({ value, plays: 12 });
  });
});
