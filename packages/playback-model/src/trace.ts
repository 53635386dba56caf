/**
 * Network traces: throughput and latency over time, as pieces. Text in, trace out — the caller
 * reads files, so this stays pure and a CLI can name the file in its own error line.
 * Units follow Sabre (kbps = 1000 bit/s); a trace repeats from its start when a session outlives it,
 * as Sabre does.
 */
export interface TracePiece {
  durationMs: number;
  bandwidthKbps: number;
  latencyMs: number;
}

export interface NetworkTrace {
  pieces: readonly TracePiece[];
}

/** Malformed trace text. `where` names the entry or line, `field` the column or key. */
export class TraceParseError extends Error {
  readonly code = 'ERR_TRACE_INVALID';
  constructor(
    readonly where: string,
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super(`${where}${field ? `, ${field}` : ''}: ${reason}`);
    this.name = 'TraceParseError';
  }
}

/** Sabre's format: `[{ "duration_ms": 1000, "bandwidth_kbps": 5000, "latency_ms": 20 }, …]`. */
export function parseSabreTrace(text: string): NetworkTrace {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new TraceParseError('trace', undefined, `not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(data)) throw new TraceParseError('trace', undefined, 'expected a JSON array of entries');
  if (data.length === 0) throw new TraceParseError('trace', undefined, 'has no entries');
  const pieces = data.map((entry: unknown, i): TracePiece => {
    const where = `entry ${i}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new TraceParseError(where, undefined, 'expected an object');
    }
    const record = entry as Record<string, unknown>;
    return {
      durationMs: requireNumber(record, 'duration_ms', where, { positive: true }),
      bandwidthKbps: requireNumber(record, 'bandwidth_kbps', where, {}),
      latencyMs: requireNumber(record, 'latency_ms', where, {}),
    };
  });
  return checkTrace(pieces);
}

export interface CsvTraceOptions {
  /** CSV traces carry no latency; every piece gets this one. */
  latencyMs?: number;
}

/**
 * `seconds,kbps` lines: the time a measurement starts (increasing from any origin) and the
 * throughput until the next line. The last line lasts as long as the one before it (1 s if alone).
 * A first line that is not numeric is taken as a header; `#` lines and blank lines are skipped.
 */
export function parseCsvTrace(text: string, options: CsvTraceOptions = {}): NetworkTrace {
  const latencyMs = options.latencyMs ?? 0;
  if (!(latencyMs >= 0)) throw new TraceParseError('options', 'latencyMs', 'must be a number ≥ 0');
  const rows: { line: number; seconds: number; kbps: number }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const where = `line ${i + 1}`;
    const cells = raw.split(',').map((cell) => cell.trim());
    if (rows.length === 0 && cells.length === 2 && cells.every((cell) => Number.isNaN(Number(cell))))
      continue;
    if (cells.length !== 2)
      throw new TraceParseError(where, undefined, `expected 2 columns "seconds,kbps", got ${cells.length}`);
    const seconds = parseCell(cells[0] ?? '', where, 'seconds');
    const kbps = parseCell(cells[1] ?? '', where, 'kbps');
    if (kbps < 0) throw new TraceParseError(where, 'kbps', `must be ≥ 0, got ${kbps}`);
    const previous = rows[rows.length - 1];
    if (previous && seconds <= previous.seconds) {
      throw new TraceParseError(where, 'seconds', `must increase, got ${seconds} after ${previous.seconds}`);
    }
    rows.push({ line: i + 1, seconds, kbps });
  }
  if (rows.length === 0) throw new TraceParseError('trace', undefined, 'has no data lines');
  const pieces = rows.map((row, i): TracePiece => {
    const next = rows[i + 1];
    const previous = rows[i - 1];
    const durationSec = next ? next.seconds - row.seconds : previous ? row.seconds - previous.seconds : 1;
    return { durationMs: durationSec * 1000, bandwidthKbps: row.kbps, latencyMs };
  });
  return checkTrace(pieces);
}

function checkTrace(pieces: TracePiece[]): NetworkTrace {
  if (!pieces.some((piece) => piece.bandwidthKbps > 0)) {
    // A looping trace with no throughput at all would never finish a download.
    throw new TraceParseError('trace', 'bandwidth', 'every entry has zero bandwidth');
  }
  return { pieces };
}

function requireNumber(
  record: Record<string, unknown>,
  key: string,
  where: string,
  { positive }: { positive?: boolean },
): number {
  const value = record[key];
  if (value === undefined) throw new TraceParseError(where, key, 'missing');
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TraceParseError(where, key, `expected a finite number, got ${JSON.stringify(value)}`);
  }
  if (positive ? value <= 0 : value < 0) {
    throw new TraceParseError(where, key, `must be ${positive ? '> 0' : '≥ 0'}, got ${value}`);
  }
  return value;
}

function parseCell(cell: string, where: string, field: string): number {
  const value = cell === '' ? Number.NaN : Number(cell);
  if (!Number.isFinite(value))
    throw new TraceParseError(where, field, `not a number: ${JSON.stringify(cell)}`);
  return value;
}

/** A constant link, for tests and "what if everyone had 5 Mbit/s" questions. */
export function constantTrace(bandwidthKbps: number, latencyMs: number, durationMs = 60_000): NetworkTrace {
  return { pieces: [{ durationMs, bandwidthKbps, latencyMs }] };
}
