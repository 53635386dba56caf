import { describe, expect, it } from 'vitest';
import { DEFAULT_RANGE_MS, parseInstant, parseTimeRange } from '../src/time-range.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('parseInstant', () => {
  it.each([
    ['epoch milliseconds', '1748779200000', Date.UTC(2025, 5, 1, 12)],
    ['a date (UTC midnight)', '2025-06-01', Date.UTC(2025, 5, 1)],
    ['a date-time in UTC', '2025-06-01T12:00:00Z', Date.UTC(2025, 5, 1, 12)],
    ['with milliseconds', '2025-06-01T12:00:00.250Z', Date.UTC(2025, 5, 1, 12, 0, 0, 250)],
    ['with an offset', '2025-06-01T14:00:00+02:00', Date.UTC(2025, 5, 1, 12)],
    [
      "with an offset whose '+' became a space in the query string",
      '2025-06-01T14:00:00 02:00',
      Date.UTC(2025, 5, 1, 12),
    ],
    ['without seconds', '2025-06-01T12:00Z', Date.UTC(2025, 5, 1, 12)],
  ])('reads %s', (_what, raw, expected) => {
    expect(parseInstant(raw)).toBe(expected);
  });

  it.each([
    ['a date-time without an offset (server-local time)', '2025-06-01T12:00:00'],
    ['words', 'yesterday'],
    ['a negative number', '-5'],
    ['seconds with a fraction', '1748779200.5'],
    ['a month that does not exist', '2025-13-01'],
    ['empty', ''],
  ])('refuses %s', (_what, raw) => {
    expect(parseInstant(raw)).toBeUndefined();
  });
});

describe('parseTimeRange', () => {
  it.each([
    ['nothing: the last 24 hours', {}, { fromMs: NOW - DEFAULT_RANGE_MS, toMs: NOW }],
    ['only from: up to now', { from: '2025-06-01' }, { fromMs: Date.UTC(2025, 5, 1), toMs: NOW }],
    [
      'only to: the 24 hours before it',
      { to: '2025-05-20' },
      { fromMs: Date.UTC(2025, 4, 19), toMs: Date.UTC(2025, 4, 20) },
    ],
    [
      'both',
      { from: '2025-05-01', to: '2025-05-02' },
      { fromMs: Date.UTC(2025, 4, 1), toMs: Date.UTC(2025, 4, 2) },
    ],
  ])('%s', (_what, query, expected) => {
    expect(parseTimeRange(query, NOW)).toEqual({ ok: true, ...expected });
  });

  it.each([
    ['from after to', { from: '2025-05-02', to: '2025-05-01' }, /"from" must be before "to"/],
    ['from equal to to', { from: '2025-05-01', to: '2025-05-01' }, /"from" must be before "to"/],
    ['more than 366 days', { from: '2023-01-01', to: '2025-01-01' }, /longer than 366 days/],
    ['an unreadable from', { from: 'last week' }, /"from" \("last week"\) is neither/],
    ['an unreadable to', { to: '2025-06-01T12:00' }, /"to" .* is neither/],
  ])('refuses %s', (_what, query, message) => {
    const range = parseTimeRange(query, NOW);
    expect(range.ok).toBe(false);
    expect(range.ok ? '' : range.message).toMatch(message);
  });
});
