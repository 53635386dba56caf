/**
 * The ladders a video carries beside its primary one (migration 015). Requesting one writes the row
 * and its transcode job's outbox message in one transaction; the transcode worker claims the row for
 * its job, then finishes or fails it. Every write after the request is fenced by `job_id`: a request
 * for another version replaces the job, and the old job can no longer touch the row.
 */
import { ladderStorageBytes, type VideoLadder } from '@streamloop/core/ladders';
import type { TranscodeJob } from '@streamloop/core/schemas/job';
import type { LadderRecord } from '@streamloop/core/schemas/ladder';
import type { Catalog, Queryable } from './catalog.js';
import { enqueueOutbox } from './outbox-repository.js';

interface VideoLadderRow {
  video_id: string;
  ladder_id: string;
  ladder_version: number;
  status: VideoLadder['status'];
  error: string | null;
  record: LadderRecord | null;
  requested_by: string;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS =
  'video_id, ladder_id, ladder_version, status, error, record, requested_by, created_at, updated_at';

function toVideoLadder(row: VideoLadderRow): VideoLadder {
  return {
    videoId: row.video_id,
    ladderId: row.ladder_id,
    ladderVersion: row.ladder_version,
    status: row.status,
    error: row.error,
    record: row.record,
    storageBytes: row.record === null ? null : ladderStorageBytes(row.record),
    requestedBy: row.requested_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export async function listVideoLadders(db: Queryable, videoId: string): Promise<VideoLadder[]> {
  const rows = await db.query<VideoLadderRow>(
    `SELECT ${COLUMNS} FROM video_ladders WHERE video_id = $1 ORDER BY ladder_id`,
    [videoId],
  );
  return rows.map(toVideoLadder);
}

export async function getVideoLadder(
  db: Queryable,
  videoId: string,
  ladderId: string,
): Promise<VideoLadder | undefined> {
  const rows = await db.query<VideoLadderRow>(
    `SELECT ${COLUMNS} FROM video_ladders WHERE video_id = $1 AND ladder_id = $2`,
    [videoId, ladderId],
  );
  return rows[0] && toVideoLadder(rows[0]);
}

/**
 * The record a video has published of an encoded ladder: its primary one (`videos.ladder`), or a
 * ready extra one; undefined when it carries none by that id.
 */
export async function publishedLadderRecord(
  db: Queryable,
  video: { id: string; ladder: LadderRecord | null },
  ladderId: string,
): Promise<LadderRecord | undefined> {
  if (video.ladder?.ladderId === ladderId) return video.ladder;
  const extra = await getVideoLadder(db, video.id, ladderId);
  return extra?.status === 'ready' && extra.record !== null ? extra.record : undefined;
}

export type LadderJob = TranscodeJob & { ladder: { id: string; version: number } };

/**
 * Queues `job` (which names the ladder) unless the same version is already queued, encoding or
 * ready — then the row is returned as it is and nothing is queued (a retried request costs nothing).
 * A failed row, or a request for another version, is queued again with this job.
 */
export async function requestVideoLadder(
  catalog: Catalog,
  request: { job: LadderJob; topic: string; requestedBy: string },
): Promise<{ videoLadder: VideoLadder; outboxId: number | undefined }> {
  const { job } = request;
  return catalog.transaction(async (tx) => {
    const existing = await tx.query<VideoLadderRow>(
      `SELECT ${COLUMNS} FROM video_ladders WHERE video_id = $1 AND ladder_id = $2 FOR UPDATE`,
      [job.videoId, job.ladder.id],
    );
    const row = existing[0];
    if (row !== undefined && row.ladder_version === job.ladder.version && row.status !== 'failed') {
      return { videoLadder: toVideoLadder(row), outboxId: undefined };
    }
    const written = await tx.query<VideoLadderRow>(
      `INSERT INTO video_ladders (video_id, ladder_id, ladder_version, status, job_id, requested_by)
       VALUES ($1, $2, $3, 'queued', $4, $5)
       ON CONFLICT (video_id, ladder_id) DO UPDATE SET ladder_version = excluded.ladder_version,
         status = 'queued', error = NULL, record = NULL, job_id = excluded.job_id,
         requested_by = excluded.requested_by, updated_at = date_trunc('milliseconds', now())
       RETURNING ${COLUMNS}`,
      [job.videoId, job.ladder.id, job.ladder.version, job.jobId, request.requestedBy],
    );
    const outboxId = await enqueueOutbox(tx, { topic: request.topic, key: job.videoId, payload: job });
    return { videoLadder: toVideoLadder(written[0] as VideoLadderRow), outboxId };
  });
}

type JobRef = { videoId: string; ladderId: string; jobId: string };

/** Marks the row `processing` for this job; false when the row is gone, ready, failed or another job's. */
export async function claimVideoLadder(db: Queryable, ref: JobRef): Promise<boolean> {
  const rows = await db.query(
    `UPDATE video_ladders SET status = 'processing', updated_at = date_trunc('milliseconds', now())
     WHERE video_id = $1 AND ladder_id = $2 AND job_id = $3 AND status IN ('queued', 'processing')
     RETURNING video_id`,
    [ref.videoId, ref.ladderId, ref.jobId],
  );
  return rows.length > 0;
}

/** Publishes the record: `ready`. False when the row left this job's hands meanwhile. */
export async function finishVideoLadder(db: Queryable, ref: JobRef, record: LadderRecord): Promise<boolean> {
  const rows = await db.query(
    `UPDATE video_ladders SET status = 'ready', record = $4::jsonb, updated_at = date_trunc('milliseconds', now())
     WHERE video_id = $1 AND ladder_id = $2 AND job_id = $3 AND status = 'processing'
     RETURNING video_id`,
    [ref.videoId, ref.ladderId, ref.jobId, JSON.stringify(record)],
  );
  return rows.length > 0;
}

/** `failed` with a reason a person can act on; the video itself stays as it is. */
export async function failVideoLadder(db: Queryable, ref: JobRef, error: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE video_ladders SET status = 'failed', error = $4, updated_at = date_trunc('milliseconds', now())
     WHERE video_id = $1 AND ladder_id = $2 AND job_id = $3 AND status IN ('queued', 'processing')
     RETURNING video_id`,
    [ref.videoId, ref.ladderId, ref.jobId, error.slice(0, 2000)],
  );
  return rows.length > 0;
}
