import { describe, expect, it } from 'vitest';
import { parseCsvTrace, parseSabreTrace, TraceParseError } from '../src/trace.js';
import { createTraceClock } from '../src/trace-clock.js';

describe('Sabre JSON traces', () => {
  it('reads entries into pieces with their units', () => {
    const trace = parseSabreTrace(
      '[{"duration_ms": 1000, "bandwidth_kbps": 5000, "latency_ms": 20}, {"duration_ms": 500, "bandwidth_kbps": 0, "latency_ms": 80}]',
    );
    expect(trace.pieces).toEqual([
      { durationMs: 1000, bandwidthKbps: 5000, latencyMs: 20 },
      { durationMs: 500, bandwidthKbps: 0, latencyMs: 80 },
    ]);
  });

  it.each([
    ['not JSON', '[{', 'trace', undefined, /^not JSON/],
    ['not an array', '{"duration_ms": 1}', 'trace', undefined, 'expected a JSON array of entries'],
    ['empty', '[]', 'trace', undefined, 'has no entries'],
    ['an entry that is not an object', '[1]', 'entry 0', undefined, 'expected an object'],
    ['a missing field', '[{"duration_ms": 1000, "latency_ms": 20}]', 'entry 0', 'bandwidth_kbps', 'missing'],
    [
      'a string where a number belongs',
      '[{"duration_ms": 1000, "bandwidth_kbps": 1, "latency_ms": 20}, {"duration_ms": "1s", "bandwidth_kbps": 1, "latency_ms": 20}]',
      'entry 1',
      'duration_ms',
      'expected a finite number, got "1s"',
    ],
    [
      'a zero duration',
      '[{"duration_ms": 0, "bandwidth_kbps": 1, "latency_ms": 20}]',
      'entry 0',
      'duration_ms',
      'must be > 0, got 0',
    ],
    [
      'a negative latency',
      '[{"duration_ms": 1, "bandwidth_kbps": 1, "latency_ms": -5}]',
      'entry 0',
      'latency_ms',
      'must be ≥ 0, got -5',
    ],
    [
      'no throughput anywhere',
      '[{"duration_ms": 1, "bandwidth_kbps": 0, "latency_ms": 5}]',
      'trace',
      'bandwidth',
      'every entry has zero bandwidth',
    ],
  ])('rejects %s, naming where and what', (_case, text, where, field, reason) => {
    const error = catchError(() => parseSabreTrace(text));
    expect(error).toBeInstanceOf(TraceParseError);
    expect(error).toMatchObject({ code: 'ERR_TRACE_INVALID', where, field });
    if (typeof reason === 'string') expect(error.reason).toBe(reason);
    else expect(error.reason).toMatch(reason);
  });
});

describe('seconds,kbps CSV traces', () => {
  it('reads a header, comments and rows; each row lasts until the next, the last as long as the one before', () => {
    const trace = parseCsvTrace('seconds,kbps\n# drive test\n0,1000\n\n2,500\n2.5,3000\n', { latencyMs: 40 });
    expect(trace.pieces).toEqual([
      { durationMs: 2000, bandwidthKbps: 1000, latencyMs: 40 },
      { durationMs: 500, bandwidthKbps: 500, latencyMs: 40 },
      { durationMs: 500, bandwidthKbps: 3000, latencyMs: 40 },
    ]);
  });

  it.each([
    ['a non-numeric cell', '0,1000\n1,fast\n', 'line 2', 'kbps', 'not a number: "fast"'],
    ['a missing column', '0,1000\n1\n', 'line 2', undefined, 'expected 2 columns "seconds,kbps", got 1'],
    ['time going backwards', '0,1000\n5,100\n3,100\n', 'line 3', 'seconds', 'must increase, got 3 after 5'],
    ['a negative rate', '0,-1\n', 'line 1', 'kbps', 'must be ≥ 0, got -1'],
    ['no data', 'seconds,kbps\n', 'trace', undefined, 'has no data lines'],
  ])('rejects %s, naming the line and column', (_case, text, where, field, reason) => {
    const error = catchError(() => parseCsvTrace(text));
    expect(error).toMatchObject({ code: 'ERR_TRACE_INVALID', where, field, reason });
    expect(error.message).toBe(`${where}${field ? `, ${field}` : ''}: ${reason}`);
  });
});

describe('trace clock', () => {
  const trace = parseSabreTrace(
    JSON.stringify([
      { duration_ms: 1000, bandwidth_kbps: 1000, latency_ms: 10 },
      { duration_ms: 1000, bandwidth_kbps: 0, latency_ms: 50 },
      { duration_ms: 1000, bandwidth_kbps: 2000, latency_ms: 30 },
    ]),
  );

  it('drains bytes across pieces, waiting through an outage', () => {
    const clock = createTraceClock(trace);
    // 500 ms at 1 Mbit/s carries 500 kbit; the outage carries nothing; 1,500 kbit more take 750 ms at 2 Mbit/s.
    expect(clock.transferEndMs(500, 2_000_000 / 8)).toBe(2750);
    expect(clock.latencyMs(1500)).toBe(50);
  });

  it('loops the trace when a download outlives it, from any start', () => {
    const clock = createTraceClock(trace);
    // One period (3 s) carries 3 Mbit. 7 Mbit from t=0: two periods (6 s), then 1 Mbit in the first second.
    expect(clock.transferEndMs(0, 7_000_000 / 8)).toBe(7000);
    // Later starts after an earlier, longer query (the cursor moves back).
    expect(clock.transferEndMs(3500, 1_000_000 / 8)).toBe(5250);
    expect(clock.transferEndMs(100, 100_000 / 8)).toBe(200);
  });
});

function catchError(run: () => unknown): TraceParseError {
  try {
    run();
  } catch (error) {
    return error as TraceParseError;
  }
  throw new Error('expected a TraceParseError');
}
