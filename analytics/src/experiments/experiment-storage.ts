/**
 * What each arm's ladder stores over the videos in the experiment's scope, from the catalog's
 * published records (`videos.ladder`, `video_ladders.record`: bytes per rendition and audio). An
 * encoded arm counts its own record; a derived arm the renditions of its source it keeps (core's
 * `keepsRung`, the rule delivery serves it by) plus the source's audio — what the arm's ladder would
 * store if it were adopted. An arm that a video lacks (not encoded yet) or whose record predates byte
 * counts makes the arm's figure null: a partial sum would read as a cheaper ladder.
 */
import type { Queryable } from '@streamloop/catalog/catalog';
import { videosInScope } from '@streamloop/catalog/experiment-repository';
import { getLadder } from '@streamloop/catalog/ladder-repository';
import { publishedLadderRecord } from '@streamloop/catalog/video-ladder-repository';
import { getVideo, type VideoRecord } from '@streamloop/catalog/video-repository';
import type { Experiment } from '@streamloop/core/experiments';
import { keepsRung, ladderStorageBytes } from '@streamloop/core/ladders';

/**
 * AWS S3 Standard, first 50 TB a month, us-east-1 list price (aws.amazon.com/s3/pricing, 2024): a
 * stand-in until you pass yours. GB here is 10^9 bytes, as for egress; AWS bills binary GB, so this
 * overstates an S3 bill by about 7 %.
 */
export const DEFAULT_STORAGE_USD_PER_GB_MONTH = 0.023;
export const BYTES_PER_GB = 1e9;

export interface ArmStorage {
  /** Videos summed over. */
  videos: number;
  /** Bytes per arm name; null when some video in scope cannot say. */
  bytes: ReadonlyMap<string, number | null>;
}

export async function readArmStorage(
  db: Queryable,
  experiment: Pick<Experiment, 'arms' | 'scope' | 'startedAt' | 'stoppedAt'>,
  nowMs: number,
): Promise<ArmStorage> {
  const ids = new Set(await videosInScope(db, experiment.scope));
  if (experiment.scope.newUploads === true && experiment.startedAt !== null) {
    const rows = await db.query<{ id: string }>(
      'SELECT id FROM videos WHERE created_at >= $1 AND created_at < $2',
      [experiment.startedAt, experiment.stoppedAt ?? new Date(nowMs).toISOString()],
    );
    for (const row of rows) ids.add(row.id);
  }
  const bytes = new Map<string, number | null>(experiment.arms.map((arm) => [arm.name, 0]));
  let videos = 0;
  for (const id of [...ids].sort()) {
    const video = await getVideo(db, id);
    if (video === undefined) continue;
    videos++;
    for (const arm of experiment.arms) {
      const sum = bytes.get(arm.name);
      if (sum === null || sum === undefined) continue;
      const armBytes = await armBytesOf(db, video, arm.ladderId, arm.ladderVersion);
      bytes.set(arm.name, armBytes === null ? null : sum + armBytes);
    }
  }
  return { videos, bytes };
}

async function armBytesOf(
  db: Queryable,
  video: VideoRecord,
  ladderId: string,
  version: number | undefined,
): Promise<number | null> {
  const encoded = await publishedLadderRecord(db, video, ladderId);
  if (encoded !== undefined && (version === undefined || encoded.ladderVersion === version))
    return ladderStorageBytes(encoded);
  const derived = await getLadder(db, ladderId, version);
  if (derived?.derivedFrom === undefined || derived.filter === undefined) return null;
  const source = await publishedLadderRecord(db, video, derived.derivedFrom.ladderId);
  if (source === undefined) return null;
  const { filter } = derived;
  return ladderStorageBytes({
    ...source,
    renditions: source.renditions.filter((r) => keepsRung(filter, r)),
  });
}
