/**
 * Which stored image answers `thumbnail.jpg?time=<seconds>`: the thumbnail nearest to `time`
 * (clamped to the video), the poster without a time or for a ladder made before thumbnails existed.
 * Pure: the route reads the catalog, this reads the ladder record transcode stored with the video.
 */
import { AppError } from '@streamloop/core/errors';

/** Transcode's default poster name, for a ladder record that does not state one. */
const DEFAULT_POSTER = 'poster.jpg';
/** Plain seconds, as Mux takes them: `12`, `12.5`. No sign, exponent or hex. */
const SECONDS = /^\d{1,9}(?:\.\d{1,6})?$/;
/** A relative image path of our own naming; `%05d` where the thumbnail number goes. */
const POSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\.jpg$/;
const THUMBNAIL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_/-]{0,63}%0([1-9])d\.jpg$/;

interface Thumbnails {
  intervalSec: number;
  count: number;
  pattern: string;
}

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

/** The image's path below `/media/<videoId>/`. */
export function chooseThumbnail(
  ladder: unknown,
  durationSec: number | undefined,
  timeSec: number | undefined,
): string {
  const record = typeof ladder === 'object' && ladder !== null ? (ladder as Record<string, unknown>) : {};
  const poster =
    typeof record.poster === 'string' && POSTER_NAME.test(record.poster) ? record.poster : DEFAULT_POSTER;
  const thumbnails = readThumbnails(record.thumbnails);
  if (timeSec === undefined || thumbnails === undefined) return poster;
  const clamped = durationSec === undefined ? timeSec : Math.min(timeSec, durationSec);
  const index = Math.min(thumbnails.count - 1, Math.round(clamped / thumbnails.intervalSec));
  return thumbnails.pattern.replace(/%0(\d)d/, (_all, width: string) =>
    String(index).padStart(Number(width), '0'),
  );
}

function readThumbnails(value: unknown): Thumbnails | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { intervalSec, count, pattern } = value as Record<string, unknown>;
  if (typeof intervalSec !== 'number' || !Number.isFinite(intervalSec) || intervalSec <= 0) return undefined;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) return undefined;
  if (typeof pattern !== 'string' || !THUMBNAIL_PATTERN.test(pattern) || pattern.includes('//'))
    return undefined;
  return { intervalSec, count, pattern };
}
