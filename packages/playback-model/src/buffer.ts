/**
 * The forward buffer as a queue of appended segments, each tagged with its rung, so played time can
 * be attributed to the rung on screen (the SDK's "displayed" rung trails the downloaded one by the
 * buffer). Played segments are dropped; back buffer is not modelled because no seek is.
 */
export interface PlaybackBuffer {
  /** Media time of the playhead, seconds. */
  readonly playheadSec: number;
  /** Media time where buffered data ends. */
  readonly endSec: number;
  forwardSec(): number;
  append(startSec: number, durationSec: number, rung: number): void;
  /** Plays up to `seconds` (never past the buffer's end); returns the seconds played. */
  play(seconds: number): number;
  /** Rung of the segment under the playhead, if any. */
  rungAtPlayhead(): number | undefined;
}

export function createPlaybackBuffer(startSec: number, playedMsByRung: number[]): PlaybackBuffer {
  // Parallel arrays as a ring-free queue: sessions append in order and consume from the head.
  const ends: number[] = [];
  const rungs: number[] = [];
  let head = 0;
  // Playhead and end are plain fields, not getters: getters made each session's buffer an object of
  // its own shape, so every read in the model was a megamorphic lookup (and a double in a closure's
  // variable is boxed anew on every store, a field's is not).
  const buffer = {
    playheadSec: startSec,
    endSec: startSec,
    forwardSec: () => buffer.endSec - buffer.playheadSec,
    append(segmentStartSec: number, durationSec: number, rung: number) {
      // Segments before the start position still arrive whole; the playhead starts inside one.
      buffer.endSec = segmentStartSec + durationSec;
      ends.push(buffer.endSec);
      rungs.push(rung);
    },
    play(seconds: number) {
      let playhead = buffer.playheadSec;
      const end = buffer.endSec;
      let left = Math.min(seconds, end - playhead);
      const played = left;
      while (left > 1e-12 && head < ends.length) {
        const segmentEnd = ends[head] ?? end;
        const step = Math.min(left, segmentEnd - playhead);
        const rung = rungs[head] ?? 0;
        playedMsByRung[rung] = (playedMsByRung[rung] ?? 0) + step * 1000;
        playhead += step;
        left -= step;
        if (playhead >= segmentEnd - 1e-12) head++;
      }
      buffer.playheadSec = playhead;
      return played;
    },
    rungAtPlayhead: () => rungs[head],
  };
  return buffer;
}
