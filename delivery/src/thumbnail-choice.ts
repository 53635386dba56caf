/**
 * Which stored image answers `thumbnail.jpg?time=<seconds>`: the thumbnail nearest to `time`
 * (clamped to the video), the poster without a time or for a ladder made before thumbnails existed.
 * Pure: the route reads the catalog, this reads the ladder record transcode stored with the video
 * (checked against core's LadderRecord when the catalog stored it).
 */
import { AppError } from '@streamloop/core/errors';
import { fillThumbnailPattern } from '@streamloop/core/object-layout';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';

/** Plain seconds, as Mux takes them: `12`, `12.5`. No sign, exponent or hex. */
const SECONDS = /^\d{1,9}(?:\.\d{1,6})?$/;

/** The `time` query parameter: undefined when absent; ERR_VALIDATION when not plain seconds. */
export function parseThumbnailTime(values: string[]): number | undefined {
  if (values.length === 0) return undefined;
  const [value] = values;
  if (values.length > 1 || value === undefined || !SECONDS.test(value)) {
    throw new AppError(
      'ERR_VALIDATION',
      `time must be one non-negative number of seconds (like 12 or 12.5), got ${JSON.stringify(values.join(','))}`,
    );
  }
  return Number(value);
}

/** The image's path below `/media/<videoId>/`, as the record states it. */
export function chooseThumbnail(
  ladder: Pick<LadderRecord, 'poster' | 'thumbnails'>,
  durationSec: number | undefined,
  timeSec: number | undefined,
): string {
  const { thumbnails } = ladder;
  if (timeSec === undefined || thumbnails === undefined) return ladder.poster;
  const clamped = durationSec === undefined ? timeSec : Math.min(timeSec, durationSec);
  const index = Math.min(thumbnails.count - 1, Math.round(clamped / thumbnails.intervalSec));
  return fillThumbnailPattern(thumbnails.pattern, index);
}
