/**
 * Download times over a trace on the virtual clock: a request waits the latency in force when it
 * is sent, then its bits drain at the piecewise rate (outages included). Cumulative bit counts
 * per piece make a download cost O(pieces crossed), and a cursor remembers where the last one
 * ended because sessions move forward in time.
 */
import { memoizeByObject } from './memo.js';
import type { NetworkTrace } from './trace.js';

export interface TraceClock {
  /** Latency in force at `atMs`. */
  latencyMs(atMs: number): number;
  /** When a transfer of `bytes` starting at `startMs` (after the request latency) completes. */
  transferEndMs(startMs: number, bytes: number): number;
  /** Throughput in kbps at `atMs`. */
  bandwidthKbpsAt(atMs: number): number;
  /** Bits the link carries between two times (what a request has received so far). */
  bitsBetween(fromMs: number, toMs: number): number;
  /** Bits carried from time 0 to `atMs`; differences of two are bitsBetween. */
  cumulativeBits(atMs: number): number;
}

interface Tables {
  startsMs: Float64Array;
  bitsBefore: Float64Array;
  bitsPerMs: Float64Array;
  latency: Float64Array;
}

// Built once per trace: many sessions replay the same trace file.
const tablesOf = memoizeByObject((trace: NetworkTrace): Tables => {
  const n = trace.pieces.length;
  const startsMs = new Float64Array(n + 1);
  // Bits delivered from the start of the trace to the start of piece i.
  const bitsBefore = new Float64Array(n + 1);
  const bitsPerMs = new Float64Array(n);
  const latency = new Float64Array(n);
  trace.pieces.forEach((piece, i) => {
    bitsPerMs[i] = piece.bandwidthKbps; // kbps = 1000 bit/s = 1 bit/ms
    latency[i] = piece.latencyMs;
    startsMs[i + 1] = (startsMs[i] ?? 0) + piece.durationMs;
    bitsBefore[i + 1] = (bitsBefore[i] ?? 0) + piece.bandwidthKbps * piece.durationMs;
  });
  return { startsMs, bitsBefore, bitsPerMs, latency };
});

export function createTraceClock(trace: NetworkTrace): TraceClock {
  const { startsMs, bitsBefore, bitsPerMs, latency } = tablesOf(trace);
  const n = bitsPerMs.length;
  const periodMs = startsMs[n] ?? 0;
  const bitsPerPeriod = bitsBefore[n] ?? 0;
  let cursor = 0;

  /** Index of the piece holding `offsetMs` (0 ≤ offset < period); moves the cursor. */
  const pieceAt = (offsetMs: number): number => {
    if (offsetMs < (startsMs[cursor] ?? 0)) {
      // Backwards (a loop, or an earlier time): binary search instead of walking from the start.
      let low = 0;
      let high = cursor;
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        if ((startsMs[mid] ?? 0) <= offsetMs) low = mid;
        else high = mid - 1;
      }
      cursor = low;
    }
    while (cursor < n - 1 && offsetMs >= (startsMs[cursor + 1] ?? 0)) cursor++;
    return cursor;
  };
  const offsetOf = (atMs: number): number => {
    // Within the first period (most of a session) the remainder is the time itself: skip fmod.
    if (atMs >= 0 && atMs < periodMs) return atMs;
    const offset = atMs % periodMs;
    return offset < 0 ? offset + periodMs : offset;
  };

  // Where the last time asked about lies (the link asks about one time several times in a row):
  // the time, its offset in the period, the bits before its piece and those into it. In a typed
  // array because a double in a closure's variable is boxed anew on every store.
  const located = new Float64Array([Number.NaN, 0, 0, 0]);
  let locatedPiece = 0;
  const locate = (atMs: number): void => {
    if (atMs === located[0]) return;
    const offset = offsetOf(atMs);
    const i = pieceAt(offset);
    located[0] = atMs;
    located[1] = offset;
    located[2] = bitsBefore[i] ?? 0;
    located[3] = (offset - (startsMs[i] ?? 0)) * (bitsPerMs[i] ?? 0);
    locatedPiece = i;
  };

  /** Bits delivered from time 0 of the (looping) trace to `atMs`. */
  const cumulativeBits = (atMs: number): number => {
    locate(atMs);
    const offset = located[1] ?? 0;
    // In the first period 0 × bitsPerPeriod + before is before: the same sum without the division.
    if (offset === atMs) return (located[2] ?? 0) + (located[3] ?? 0);
    const periods = Math.round((atMs - offset) / periodMs);
    return periods * bitsPerPeriod + (located[2] ?? 0) + (located[3] ?? 0);
  };

  return {
    cumulativeBits,
    bitsBetween: (fromMs, toMs) => cumulativeBits(toMs) - cumulativeBits(fromMs),
    latencyMs: (atMs) => {
      locate(atMs);
      return latency[locatedPiece] ?? 0;
    },
    bandwidthKbpsAt: (atMs) => {
      locate(atMs);
      return bitsPerMs[locatedPiece] ?? 0;
    },
    transferEndMs(startMs, bytes) {
      let bits = bytes * 8;
      if (bits <= 0) return startMs;
      locate(startMs);
      const periodStartMs = startMs - (located[1] ?? 0);
      let i = locatedPiece;
      // Bits the trace delivers from its start up to the offset; the target is that plus our bits.
      const deliveredAtStart = (located[2] ?? 0) + (located[3] ?? 0);
      let target = deliveredAtStart + bits;
      let base = periodStartMs;
      if (target > bitsPerPeriod) {
        const fullPeriods = Math.floor((target - 1e-9) / bitsPerPeriod);
        if (fullPeriods > 0) {
          target -= fullPeriods * bitsPerPeriod;
          base += fullPeriods * periodMs;
          if (target <= deliveredAtStart) i = 0;
        }
      }
      // Walk forward to the piece where the cumulative count reaches the target.
      while (i < n - 1 && (bitsBefore[i + 1] ?? 0) < target) i++;
      const rate = bitsPerMs[i] ?? 0;
      bits = target - (bitsBefore[i] ?? 0);
      // rate > 0 here: a piece with no throughput never holds the point where a target is reached.
      const endOffset = (startsMs[i] ?? 0) + bits / rate;
      cursor = i;
      return base + endOffset;
    },
  };
}
