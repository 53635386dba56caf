/**
 * Content keys of encrypted videos (table video_keys): one random 16-byte AES-128 key per video,
 * created once and reused by every later attempt, so segments published by any attempt decrypt
 * with the key delivery serves.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from './catalog.js';

export type KeyMethod = 'AES-128';

export interface VideoKey {
  videoId: string;
  method: KeyMethod;
  /** 16 bytes. */
  key: Buffer;
}

const KEY_BYTES = 16;

/** The video's key, created on first use; undefined when the video does not exist. */
export async function getOrCreateVideoKey(db: Queryable, videoId: string): Promise<VideoKey | undefined> {
  await db.query(
    `INSERT INTO video_keys (video_id, method, key)
     SELECT id, 'AES-128', $2 FROM videos WHERE id = $1
     ON CONFLICT (video_id) DO NOTHING`,
    [videoId, randomBytes(KEY_BYTES)],
  );
  return getVideoKey(db, videoId);
}

export async function getVideoKey(db: Queryable, videoId: string): Promise<VideoKey | undefined> {
  const rows = await db.query<{ video_id: string; method: KeyMethod; key: Uint8Array }>(
    'SELECT video_id, method, key FROM video_keys WHERE video_id = $1',
    [videoId],
  );
  const row = rows[0];
  // pg hands bytea back as a Buffer, PGlite as a Uint8Array.
  return row && { videoId: row.video_id, method: row.method, key: Buffer.from(row.key) };
}
