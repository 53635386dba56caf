/**
 * API keys as the catalog stores them: an id, an owner, scopes, a per-minute rate limit and
 * sha256(secret). The full key (`sl_<id>_<secret>`) exists only in the answer to its creation.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from './catalog.js';

export const API_KEY_SCOPES = [
  'upload',
  'manage',
  'analytics-read',
  'analytics-views',
  'experiments',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKeyRecord {
  id: string;
  owner: string;
  name: string;
  scopes: ApiKeyScope[];
  rateLimitPerMinute: number;
  createdAt: string;
  revokedAt: string | null;
}

export interface StoredApiKey extends ApiKeyRecord {
  secretSha256: string;
}

export interface NewApiKey {
  owner: string;
  name?: string;
  scopes: readonly ApiKeyScope[];
  rateLimitPerMinute?: number;
}

interface ApiKeyRow {
  id: string;
  owner: string;
  name: string;
  scopes: ApiKeyScope[];
  rate_limit_per_minute: number;
  created_at: Date | string;
  revoked_at: Date | string | null;
  secret_sha256: string;
}

const COLUMNS = 'id, owner, name, scopes, rate_limit_per_minute, created_at, revoked_at, secret_sha256';

export const API_KEY_PREFIX = 'sl_';

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Creates a key; the returned `key` is the only time the secret is ever visible. */
export async function createApiKey(
  db: Queryable,
  input: NewApiKey,
): Promise<{ key: string; record: ApiKeyRecord }> {
  // Hex id: no `_`, so `sl_<id>_<secret>` splits unambiguously even though base64url secrets contain `_`.
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const rows = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, owner, name, scopes, rate_limit_per_minute, secret_sha256)
     VALUES ($1, $2, $3, $4::text[], $5, $6) RETURNING ${COLUMNS}`,
    [
      id,
      input.owner,
      input.name ?? '',
      [...input.scopes],
      input.rateLimitPerMinute ?? 600,
      sha256Hex(secret),
    ],
  );
  const { secretSha256: _hash, ...record } = toStored(rows[0]!);
  return { key: `${API_KEY_PREFIX}${id}_${secret}`, record };
}

/** `sl_<id>_<secret>` → its parts; undefined for anything else (a legacy key, a typo). */
export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = /^sl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(key);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export async function findApiKey(db: Queryable, id: string): Promise<StoredApiKey | undefined> {
  const rows = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  return rows[0] && toStored(rows[0]);
}

/** Oldest first; `owner` narrows to one owner's keys. */
export async function listApiKeys(db: Queryable, owner?: string): Promise<ApiKeyRecord[]> {
  const rows = await db.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys WHERE $1::text IS NULL OR owner = $1 ORDER BY created_at, id`,
    [owner ?? null],
  );
  return rows.map((row) => {
    const { secretSha256: _hash, ...record } = toStored(row);
    return record;
  });
}

export async function countApiKeys(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM api_keys');
  return Number(rows[0]!.n);
}

/** Idempotent: revoking a revoked key keeps its first revocation time. False when no such key. */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, date_trunc('milliseconds', now()))
     WHERE id = $1 RETURNING id`,
    [id],
  );
  return rows.length > 0;
}

function toStored(row: ApiKeyRow): StoredApiKey {
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    scopes: row.scopes,
    rateLimitPerMinute: Number(row.rate_limit_per_minute),
    createdAt: toIso(row.created_at),
    revokedAt: row.revoked_at === null ? null : toIso(row.revoked_at),
    secretSha256: row.secret_sha256,
  };
}

function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
