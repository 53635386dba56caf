/**
 * The ladder a session plays, with real segment sizes and durations per rung (read from the media
 * playlists or CMAF files the stack published, or given as data). Rungs share segment boundaries,
 * as streamloop's packager cuts every rung at the same IDR frames.
 */
export interface MediaSegment {
  durationSec: number;
  bytes: number;
}

export interface Rung {
  /** Declared peak bit/s (the master playlist's BANDWIDTH); what VHS compares against. */
  bandwidth: number;
  width: number;
  height: number;
  segments: readonly MediaSegment[];
  /** CMAF init segment, fetched before the first media segment of this rung. */
  initBytes?: number;
}

export interface Ladder {
  /** In master playlist order (VHS breaks some ties by it). */
  rungs: readonly Rung[];
  /**
   * EXT-X-TARGETDURATION, which sets VHS' request timeout (1.5 ×). Absent: what streamloop's
   * packager writes, the longest segment rounded to the nearest second (RFC 8216 4.3.3.1), at least 1.
   */
  targetDurationSec?: number;
  /** A separate audio rendition: its segments are fetched alongside each video segment. */
  audio?: { segments: readonly MediaSegment[]; initBytes?: number };
}

export class ModelInputError extends Error {
  readonly code = 'ERR_MODEL_INPUT';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ModelInputError';
  }
}

/** Throws ModelInputError naming the first bad field; the model trusts a checked ladder. */
export function checkLadder(ladder: Ladder): void {
  if (ladder.rungs.length === 0) throw new ModelInputError('rungs', 'must not be empty');
  const first = ladder.rungs[0]?.segments ?? [];
  if (first.length === 0) throw new ModelInputError('rungs[0].segments', 'must not be empty');
  ladder.rungs.forEach((rung, r) => {
    if (!(rung.bandwidth > 0)) throw new ModelInputError(`rungs[${r}].bandwidth`, 'must be > 0');
    if (!(rung.width > 0 && rung.height > 0))
      throw new ModelInputError(`rungs[${r}].width/height`, 'must be > 0');
    if (rung.segments.length !== first.length) {
      throw new ModelInputError(
        `rungs[${r}].segments`,
        `has ${rung.segments.length} segments, rung 0 has ${first.length}`,
      );
    }
    checkSegments(rung.segments, `rungs[${r}]`, first);
  });
  if (ladder.audio) {
    if (ladder.audio.segments.length !== first.length) {
      throw new ModelInputError(
        'audio.segments',
        `has ${ladder.audio.segments.length} segments, video has ${first.length}`,
      );
    }
    checkSegments(ladder.audio.segments, 'audio', first);
  }
}

function checkSegments(
  segments: readonly MediaSegment[],
  where: string,
  reference: readonly MediaSegment[],
): void {
  segments.forEach((segment, i) => {
    if (!(segment.durationSec > 0))
      throw new ModelInputError(`${where}.segments[${i}].durationSec`, 'must be > 0');
    if (!(segment.bytes >= 0)) throw new ModelInputError(`${where}.segments[${i}].bytes`, 'must be ≥ 0');
    // Tolerate a frame of drift between renditions; more means the rungs were not cut together.
    if (Math.abs(segment.durationSec - (reference[i]?.durationSec ?? 0)) > 0.05) {
      throw new ModelInputError(
        `${where}.segments[${i}].durationSec`,
        'differs from rung 0 by more than 50 ms',
      );
    }
  });
}

/** Total media duration (rung 0's timeline). */
export function targetDurationSec(ladder: Ladder): number {
  if (ladder.targetDurationSec !== undefined) return ladder.targetDurationSec;
  let longest = 0;
  for (const segment of ladder.rungs[0]?.segments ?? []) longest = Math.max(longest, segment.durationSec);
  return Math.max(1, Math.round(longest));
}

export function ladderDurationSec(ladder: Ladder): number {
  let total = 0;
  for (const segment of ladder.rungs[0]?.segments ?? []) total += segment.durationSec;
  return total;
}
