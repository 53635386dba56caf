/**
 * Attempts of transcode jobs (table transcode_attempts). An attempt is counted when it BEGINS, so a
 * worker killed mid-job still used one up; the newest attempt id fences publication.
 */
import type { Queryable } from './catalog.js';

export interface JobAttempts {
  jobId: string;
  videoId: string;
  /** Attempts begun so far, the current one included. */
  attempts: number;
  currentAttemptId: string;
  lastError: string | null;
}

interface AttemptsRow {
  job_id: string;
  video_id: string;
  attempts: number;
  current_attempt_id: string;
  last_error: string | null;
}

const COLUMNS = 'job_id, video_id, attempts, current_attempt_id, last_error';

/** Counts a new attempt of `jobId` and makes `attemptId` the only one allowed to publish. */
export async function beginJobAttempt(
  db: Queryable,
  attempt: { jobId: string; videoId: string; attemptId: string },
): Promise<JobAttempts> {
  const rows = await db.query<AttemptsRow>(
    `INSERT INTO transcode_attempts (job_id, video_id, attempts, current_attempt_id)
     VALUES ($1, $2, 1, $3)
     ON CONFLICT (job_id) DO UPDATE SET
       attempts = transcode_attempts.attempts + 1,
       current_attempt_id = EXCLUDED.current_attempt_id,
       updated_at = date_trunc('milliseconds', now())
     RETURNING ${COLUMNS}`,
    [attempt.jobId, attempt.videoId, attempt.attemptId],
  );
  return toAttempts(rows[0]!);
}

export async function getJobAttempts(db: Queryable, jobId: string): Promise<JobAttempts | undefined> {
  const rows = await db.query<AttemptsRow>(`SELECT ${COLUMNS} FROM transcode_attempts WHERE job_id = $1`, [
    jobId,
  ]);
  return rows[0] && toAttempts(rows[0]);
}

/** The attempts of every job of a video, oldest job first. */
export async function listJobAttemptsOfVideo(db: Queryable, videoId: string): Promise<JobAttempts[]> {
  const rows = await db.query<AttemptsRow>(
    `SELECT ${COLUMNS} FROM transcode_attempts WHERE video_id = $1 ORDER BY created_at, job_id`,
    [videoId],
  );
  return rows.map(toAttempts);
}

export async function recordJobAttemptError(db: Queryable, jobId: string, error: string): Promise<void> {
  await db.query(
    `UPDATE transcode_attempts SET last_error = $2, updated_at = date_trunc('milliseconds', now())
     WHERE job_id = $1`,
    [jobId, error],
  );
}

/**
 * Whether `attemptId` is still the newest attempt of `jobId`. Inside a transaction the row stays
 * locked until commit, so no newer attempt can begin between this check and the writes after it.
 */
export async function isCurrentJobAttempt(db: Queryable, jobId: string, attemptId: string): Promise<boolean> {
  const rows = await db.query<{ current_attempt_id: string }>(
    'SELECT current_attempt_id FROM transcode_attempts WHERE job_id = $1 FOR UPDATE',
    [jobId],
  );
  return rows[0]?.current_attempt_id === attemptId;
}

function toAttempts(row: AttemptsRow): JobAttempts {
  return {
    jobId: row.job_id,
    videoId: row.video_id,
    attempts: Number(row.attempts),
    currentAttemptId: row.current_attempt_id,
    lastError: row.last_error,
  };
}
