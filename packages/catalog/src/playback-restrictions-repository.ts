/**
 * Per-owner playback restrictions (core's PlaybackRestrictions). Ingest's management API writes
 * them; delivery reads them for every cross-origin playback request and the embed page.
 */
import { type PlaybackRestrictions, parsePlaybackRestrictions } from '@streamloop/core/playback-restrictions';
import type { Queryable } from './catalog.js';

interface RestrictionRow {
  allowed_domains: string[];
  allow_no_origin: boolean;
}

/** Undefined when the owner stored none: its videos play from any site. */
export async function getPlaybackRestrictions(
  db: Queryable,
  owner: string,
): Promise<PlaybackRestrictions | undefined> {
  const rows = await db.query<RestrictionRow>(
    'SELECT allowed_domains, allow_no_origin FROM playback_restrictions WHERE owner = $1',
    [owner],
  );
  const row = rows[0];
  return row && { allowedDomains: row.allowed_domains, allowNoOrigin: row.allow_no_origin };
}

/** Replaces the owner's restrictions; refuses (ERR_VALIDATION) anything the contract refuses. */
export async function putPlaybackRestrictions(
  db: Queryable,
  owner: string,
  restrictions: PlaybackRestrictions,
): Promise<void> {
  // Delivery trusts what it reads back, so a caller that skipped the route schema cannot store junk.
  parsePlaybackRestrictions(restrictions);
  await db.query(
    `INSERT INTO playback_restrictions (owner, allowed_domains, allow_no_origin)
     VALUES ($1, $2::text[], $3)
     ON CONFLICT (owner) DO UPDATE SET allowed_domains = excluded.allowed_domains,
       allow_no_origin = excluded.allow_no_origin, updated_at = excluded.updated_at`,
    [owner, [...restrictions.allowedDomains], restrictions.allowNoOrigin],
  );
}

/** Lifts every restriction; false when there were none. */
export async function deletePlaybackRestrictions(db: Queryable, owner: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM playback_restrictions WHERE owner = $1 RETURNING owner', [owner]);
  return rows.length > 0;
}
