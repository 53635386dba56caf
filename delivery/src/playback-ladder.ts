/**
 * Which of a video's ladders a playback serves, and what its token opens. Without a choice: the
 * primary ladder (its folder). With `?ladder=<id>` (the owner's key only: encoding engineers preview a
 * ladder, experiments will assign one): the primary one, another encoded ladder the video carries
 * (ready), or a derived ladder served from one of those with only the renditions its filter keeps.
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { getLadder } from '@streamloop/catalog/ladder-repository';
import { publishedLadderRecord } from '@streamloop/catalog/video-ladder-repository';
import type { VideoRecord } from '@streamloop/catalog/video-repository';
import { AppError } from '@streamloop/core/errors';
import { keepsRung } from '@streamloop/core/ladders';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import type { LadderScope } from './ladder-scope.js';

export interface PlaybackLadder {
  record: LadderRecord;
  ladderId: string;
  ladderVersion: number;
  /** Undefined for a record made before ladder folders (its files sit in the video's own folder). */
  scope: LadderScope | undefined;
}

/** `default/master.m3u8` → `default`; undefined for the older layout without ladder folders. */
function folderOf(record: LadderRecord): string | undefined {
  const slash = record.master.indexOf('/');
  return slash > 0 && !record.master.startsWith('media/') ? record.master.slice(0, slash) : undefined;
}

function served(
  record: LadderRecord,
  renditions?: readonly string[],
): Omit<PlaybackLadder, 'ladderId' | 'ladderVersion'> {
  const folder = folderOf(record);
  return {
    record,
    scope: folder === undefined ? undefined : { folder, ...(renditions === undefined ? {} : { renditions }) },
  };
}

/**
 * `version`: the ladder version an experiment arm names — an encoded ladder counts only when the
 * video carries that version, a derived one is read at that version. Absent: whatever is there.
 */
export async function choosePlaybackLadder(
  db: Queryable,
  video: VideoRecord & { ladder: LadderRecord },
  ladderId: string | undefined,
  version?: number,
): Promise<PlaybackLadder> {
  const primary = video.ladder;
  const wanted = (record: LadderRecord) => version === undefined || record.ladderVersion === version;
  if (ladderId === undefined || (ladderId === primary.ladderId && wanted(primary)))
    return { ...served(primary), ladderId: primary.ladderId, ladderVersion: primary.ladderVersion };

  const encoded = await publishedLadderRecord(db, video, ladderId);
  if (encoded !== undefined && wanted(encoded))
    return { ...served(encoded), ladderId, ladderVersion: encoded.ladderVersion };

  const derived = await getLadder(db, ladderId, version);
  if (derived?.derivedFrom === undefined || derived.filter === undefined) {
    throw new AppError(
      'ERR_NOT_FOUND',
      `video ${video.id} has no ready ladder '${ladderId}'; add one with POST /api/v1/videos/${video.id}/ladders`,
    );
  }
  const source = await publishedLadderRecord(db, video, derived.derivedFrom.ladderId);
  if (source === undefined) {
    throw new AppError(
      'ERR_NOT_FOUND',
      `ladder '${ladderId}' is derived from '${derived.derivedFrom.ladderId}', which video ${video.id} does not carry (ready)`,
    );
  }
  const { filter } = derived;
  const renditions = source.renditions.filter((r) => keepsRung(filter, r)).map((r) => r.name);
  if (renditions.length === 0) {
    throw new AppError(
      'ERR_CONFLICT',
      `ladder '${ladderId}' keeps none of video ${video.id}'s '${source.ladderId}' renditions (${source.renditions.map((r) => r.name).join(', ')})`,
    );
  }
  return { ...served(source, renditions), ladderId, ladderVersion: derived.version };
}
