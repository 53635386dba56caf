import { randomBytes } from 'node:crypto';
import { AppError } from '@streamloop/core/errors';
import { LadderRecord } from '@streamloop/core/schemas/ladder';
import type { PlaybackPolicy, Video, VideoStatus } from '@streamloop/core/schemas/video';
import { TOPICS } from '@streamloop/core/topics';
import { createValidator } from '@streamloop/core/validate';
import type { Queryable } from './catalog.js';

/** A video as the catalog stores it: the public `Video` plus fields only services see. */
export interface VideoRecord extends Video {
  tags: string[];
  sourceSha256: string | null;
  owner: string | null;
  /** What transcode published (core's LadderRecord, checked when written); null until then. */
  ladder: LadderRecord | null;
}

export interface NewVideo {
  id?: string;
  title: string;
  description?: string;
  tags?: string[];
  filename?: string | null;
  status?: VideoStatus;
  playbackPolicy?: PlaybackPolicy;
  owner?: string | null;
  sourceKey?: string | null;
  sourceSha256?: string | null;
  durationMs?: number | null;
  ladder?: LadderRecord | null;
}

export type VideoPatch = Partial<
  Pick<
    VideoRecord,
    | 'title'
    | 'description'
    | 'tags'
    | 'filename'
    | 'playbackPolicy'
    | 'owner'
    | 'sourceKey'
    | 'sourceSha256'
    | 'durationMs'
    | 'ladder'
  >
>;

export interface ListVideosQuery {
  /** Words to find in title, tags or description (web-search syntax: "quoted phrase", -exclude, or). */
  q?: string;
  status?: VideoStatus;
  owner?: string;
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface VideoPage {
  videos: VideoRecord[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface StatusChange {
  status: VideoStatus;
  /** Stored only with `failed`; cleared otherwise. */
  error?: string;
  progressPercent?: number;
}

/**
 * Which status may follow which. `ready` is final: a late or replayed transcode message must not
 * pull a playable video back to `processing`. `failed` may be retried.
 */
export const STATUS_TRANSITIONS: Readonly<Record<VideoStatus, readonly VideoStatus[]>> = {
  waiting_upload: ['uploaded', 'failed'],
  uploaded: ['processing', 'failed'],
  processing: ['processing', 'ready', 'failed'],
  ready: [],
  failed: ['processing'],
};

/** 128 random bits, URL-safe (22 characters of base64url). */
export function newVideoId(): string {
  return randomBytes(16).toString('base64url');
}

const COLUMNS =
  'id, title, description, tags, filename, status, error, progress_percent, playback_policy, duration_ms, source_key, source_sha256, owner, ladder, created_at, updated_at';

interface VideoRow {
  id: string;
  title: string;
  description: string;
  tags: string[];
  filename: string | null;
  status: VideoStatus;
  error: string | null;
  progress_percent: number | null;
  playback_policy: PlaybackPolicy;
  duration_ms: number | string | null;
  source_key: string | null;
  source_sha256: string | null;
  owner: string | null;
  ladder: LadderRecord | null;
  created_at: Date | string;
  updated_at: Date | string;
}

/**
 * Lifecycle events on video-events for the rows of the CTE `changed`, written to the outbox by the
 * same statement that changed them: one statement is atomic even outside a transaction, so every
 * caller gets "an event if and only if the change committed" without opening a transaction.
 * `status`: `video.<status>.v1` for announced statuses; `deleted`: `video.deleted.v1` for every row.
 */
function withLifecycleEvents(change: string, topicParam: string, kind: 'status' | 'deleted'): string {
  const event = kind === 'deleted' ? "'video.deleted.v1'" : "'video.' || status || '.v1'";
  return `WITH changed AS (${change}),
    events AS (
      INSERT INTO outbox (topic, key, payload)
      SELECT ${topicParam}::text, id, jsonb_build_object(
        'event', ${event}, 'videoId', id, 'status', ${kind === 'deleted' ? 'NULL::text' : 'status'},
        'error', error, 'owner', owner,
        'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      FROM changed ${kind === 'deleted' ? '' : `WHERE status IN ${ANNOUNCED_STATUSES}`}
      RETURNING id
    )`;
}

/** Statuses other services hear about; `processing` (and its progress ticks) stays in the catalog. */
const ANNOUNCED_STATUSES = "('uploaded', 'ready', 'failed')";

export async function insertVideo(db: Queryable, video: NewVideo): Promise<VideoRecord> {
  const rows = await db.query<VideoRow>(
    `${withLifecycleEvents(
      `INSERT INTO videos (id, title, description, filename, status, playback_policy, owner, source_key, source_sha256, duration_ms, ladder, tags)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::text[])
       RETURNING ${COLUMNS}`,
      '$13',
      'status',
    )}
     SELECT * FROM changed`,
    [
      video.id ?? newVideoId(),
      video.title,
      video.description ?? '',
      video.filename ?? null,
      video.status ?? 'waiting_upload',
      video.playbackPolicy ?? 'public',
      video.owner ?? null,
      video.sourceKey ?? null,
      video.sourceSha256 ?? null,
      video.durationMs ?? null,
      ladderParam(video.ladder),
      video.tags ?? [],
      TOPICS.videoEvents.name,
    ],
  );
  return toRecord(rows[0]!);
}

export async function getVideo(db: Queryable, id: string): Promise<VideoRecord | undefined> {
  const rows = await db.query<VideoRow>(`SELECT ${COLUMNS} FROM videos WHERE id = $1`, [id]);
  return rows[0] && toRecord(rows[0]);
}

/**
 * Publicly playable: ready, `public`, with a published ladder — what anyone may be shown (recommended)
 * and play without a key. One rule in its two forms, side by side: as SQL for counts over the table,
 * and for a record in hand. The catalog contract test checks that both pick the same videos.
 */
export const PUBLICLY_PLAYABLE_SQL = "status = 'ready' AND playback_policy = 'public' AND ladder IS NOT NULL";

export function isPubliclyPlayable(
  video: Pick<VideoRecord, 'status' | 'playbackPolicy' | 'ladder'>,
): video is typeof video & { ladder: NonNullable<VideoRecord['ladder']> } {
  return video.status === 'ready' && video.playbackPolicy === 'public' && video.ladder !== null;
}

/** The videos among `ids` that exist, in no particular order: one query however many are asked. */
export async function getVideos(db: Queryable, ids: readonly string[]): Promise<VideoRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<VideoRow>(`SELECT ${COLUMNS} FROM videos WHERE id = ANY($1::text[])`, [
    [...ids],
  ]);
  return rows.map(toRecord);
}

/** Videos with this source checksum, oldest first (upload dedup). */
export async function findVideosBySourceSha256(db: Queryable, sourceSha256: string): Promise<VideoRecord[]> {
  const rows = await db.query<VideoRow>(
    `SELECT ${COLUMNS} FROM videos WHERE source_sha256 = $1 ORDER BY created_at, id`,
    [sourceSha256],
  );
  return rows.map(toRecord);
}

const PATCH_COLUMNS: Readonly<Record<keyof VideoPatch, string>> = {
  title: 'title',
  description: 'description',
  tags: 'tags',
  filename: 'filename',
  playbackPolicy: 'playback_policy',
  owner: 'owner',
  sourceKey: 'source_key',
  sourceSha256: 'source_sha256',
  durationMs: 'duration_ms',
  ladder: 'ladder',
};

const CASTS: Partial<Record<keyof VideoPatch, string>> = { ladder: '::jsonb', tags: '::text[]' };

/** Sets the given fields (status has its own guarded function); undefined when the video does not exist. */
export async function patchVideo(
  db: Queryable,
  id: string,
  patch: VideoPatch,
): Promise<VideoRecord | undefined> {
  const params: unknown[] = [id];
  const sets: string[] = [];
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof VideoPatch, string][]) {
    const value = patch[key];
    if (value === undefined) continue;
    params.push(key === 'ladder' ? ladderParam(patch.ladder) : value);
    sets.push(`${column} = $${params.length}${CASTS[key] ?? ''}`);
  }
  if (sets.length === 0) return getVideo(db, id);
  const rows = await db.query<VideoRow>(
    `UPDATE videos SET ${sets.join(', ')}, updated_at = date_trunc('milliseconds', now())
     WHERE id = $1 RETURNING ${COLUMNS}`,
    params,
  );
  return rows[0] && toRecord(rows[0]);
}

/** Removes the row and announces `video.deleted.v1`; false (and no event) when it was already gone. */
export async function deleteVideo(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query(
    `${withLifecycleEvents('DELETE FROM videos WHERE id = $1 RETURNING id, error, owner', '$2', 'deleted')}
     SELECT id FROM changed`,
    [id, TOPICS.videoEvents.name],
  );
  return rows.length > 0;
}

/**
 * Moves a video to `change.status` if STATUS_TRANSITIONS allows it from its current status, checked
 * in the UPDATE itself so concurrent writers cannot slip past it. Returns whether the row changed.
 */
export async function updateVideoStatus(db: Queryable, id: string, change: StatusChange): Promise<boolean> {
  const allowedFrom = (Object.keys(STATUS_TRANSITIONS) as VideoStatus[]).filter((from) =>
    STATUS_TRANSITIONS[from].includes(change.status),
  );
  if (allowedFrom.length === 0) return false;
  const rows = await db.query(
    `${withLifecycleEvents(
      `UPDATE videos SET
       status = $2::text,
       error = CASE WHEN $2::text = 'failed' THEN $3::text END,
       progress_percent = CASE
         WHEN $2::text = 'ready' THEN 100
         WHEN $2::text = 'processing' THEN coalesce($4::real, CASE WHEN status = 'processing' THEN progress_percent ELSE 0 END)
         WHEN $2::text = 'failed' THEN progress_percent
       END,
       updated_at = date_trunc('milliseconds', now())
     WHERE id = $1 AND status = ANY($5::text[])
     RETURNING id, status, error, owner`,
      '$6',
      'status',
    )}
     SELECT id FROM changed`,
    [
      id,
      change.status,
      change.error ?? null,
      change.progressPercent ?? null,
      allowedFrom,
      TOPICS.videoEvents.name,
    ],
  );
  return rows.length > 0;
}

/**
 * Newest first, keyset-paginated on (created_at, id) so pages stay stable while videos are added.
 * With `q`, matches rank first (title above description), then the same keyset.
 */
export async function listVideos(db: Queryable, query: ListVideosQuery): Promise<VideoPage> {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 1000) {
    throw new AppError('ERR_VALIDATION', 'limit must be an integer from 1 to 1000');
  }
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const filters: string[] = [];
  if (query.status !== undefined) filters.push(`status = ${param(query.status)}`);
  if (query.owner !== undefined) filters.push(`owner = ${param(query.owner)}`);

  const q = query.q?.trim() ? query.q.trim() : undefined;
  let rank = 'NULL::real';
  if (q !== undefined) {
    const web = `websearch_to_tsquery('english', ${param(q)})`;
    const prefix = prefixQuery(q);
    if (prefix === undefined) {
      filters.push(`search @@ ${web}`);
      rank = `ts_rank(search, ${web})`;
    } else {
      const pre = `to_tsquery('simple', ${param(prefix)})`;
      filters.push(`(search @@ ${web} OR search @@ ${pre})`);
      rank = `(ts_rank(search, ${web}) + ts_rank(search, ${pre}))`;
    }
  }

  const ranked = q !== undefined;
  const after: string[] = [];
  if (query.cursor !== undefined) {
    const cursor = decodeCursor(query.cursor, ranked);
    after.push(
      ranked
        ? `(rank, created_at, id) < (${param(cursor.rank)}::real, ${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::text)`
        : `(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::text)`,
    );
  }
  const rows = await db.query<VideoRow & { rank: number | null }>(
    `SELECT * FROM (
       SELECT ${COLUMNS}, ${rank}::real AS rank FROM videos
       ${filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : ''}
     ) v
     ${after.length > 0 ? `WHERE ${after.join(' AND ')}` : ''}
     ORDER BY ${ranked ? 'rank DESC, ' : ''}created_at DESC, id DESC
     LIMIT ${param(query.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const videos = page.map(toRecord);
  const nextCursor =
    rows.length > query.limit && last
      ? encodeCursor({
          createdAt: toIso(last.created_at),
          id: last.id,
          rank: ranked ? Number(last.rank) : undefined,
        })
      : null;
  return { videos, nextCursor };
}

/** The public shape, without service-only fields (for API responses). */
export function toVideo(record: VideoRecord): Video {
  const { sourceSha256: _sha, owner: _owner, ladder: _ladder, ...video } = record;
  return video;
}

function toRecord(row: VideoRow): VideoRecord {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    tags: row.tags,
    filename: row.filename,
    status: row.status,
    error: row.error,
    progressPercent: row.progress_percent === null ? null : Number(row.progress_percent),
    playbackPolicy: row.playback_policy,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    sourceKey: row.source_key,
    sourceSha256: row.source_sha256,
    owner: row.owner,
    ladder: row.ladder,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** SQL NULL for null/undefined; JSON text otherwise (node-postgres would turn arrays into PG arrays). */
const validateLadderRecord = createValidator(LadderRecord);

/** Delivery trusts what it reads back, so a record is checked against the contract before it is stored. */
function ladderParam(ladder: LadderRecord | null | undefined): string | null {
  if (ladder === undefined || ladder === null) return null;
  const checked = validateLadderRecord(ladder);
  if (!checked.ok) {
    const issues = checked.issues.map((issue) => `${issue.path || '/'}: ${issue.message}`).join('; ');
    throw new AppError('ERR_INVALID_LADDER_RECORD', `invalid ladder record: ${issues}`, checked.issues);
  }
  return JSON.stringify(ladder);
}

const WEB_SEARCH_OPERATORS = /["-]|\bor\b/i;

/**
 * Search-as-you-type: a short plain query also matches word prefixes ("bun" finds "Bunny"), which
 * stemmed full-text search alone does not. Longer or operator queries keep web-search semantics.
 */
function prefixQuery(q: string): string | undefined {
  if (WEB_SEARCH_OPERATORS.test(q)) return undefined;
  const words = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0 || words.length > 3) return undefined;
  return words.map((w) => `${w}:*`).join(' & ');
}

interface Cursor {
  createdAt: string;
  id: string;
  rank?: number | undefined;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id, cursor.rank ?? null])).toString(
    'base64url',
  );
}

function decodeCursor(raw: string, ranked: boolean): Cursor {
  try {
    const [createdAt, id, rank] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (
      typeof createdAt === 'string' &&
      !Number.isNaN(Date.parse(createdAt)) &&
      typeof id === 'string' &&
      (ranked ? typeof rank === 'number' : rank === null)
    ) {
      return { createdAt, id, rank: ranked ? (rank as number) : undefined };
    }
  } catch {
    // fall through to the one error below
  }
  throw new AppError('ERR_VALIDATION', 'cursor is not valid for this query');
}
