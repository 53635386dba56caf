/**
 * What ingest needs to know about a video's source bytes: their SHA-256 and who uploaded them, so
 * the same content from the same owner is transcoded once (upload dedup).
 */
import type { Queryable } from './catalog.js';
import { getVideo, type VideoRecord } from './video-repository.js';

/**
 * Serialises writers of the same (owner, sha256) until the end of the transaction `tx` belongs to,
 * so two identical uploads finishing at once cannot both pass a "not seen yet" check.
 */
export async function lockSource(tx: Queryable, owner: string, sha256: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`source:${owner}:${sha256}`]);
}

/**
 * The oldest video of `owner` whose source has this SHA-256 and that has not failed (a failed video
 * would hand the uploader a dead id), or undefined.
 */
export async function findVideoBySource(
  db: Queryable,
  owner: string,
  sha256: string,
): Promise<VideoRecord | undefined> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM videos
     WHERE source_sha256 = $1 AND owner = $2 AND status <> 'failed'
     ORDER BY created_at, id LIMIT 1`,
    [sha256, owner],
  );
  return rows[0] && getVideo(db, rows[0].id);
}
