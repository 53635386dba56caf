/**
 * Direct-to-S3 multipart uploads in flight: the S3 upload id → the video, object key and owner it
 * was started for. Completing or aborting moves `state` once, guarded in the UPDATE itself, so two
 * racing completions cannot both record the video.
 */
import type { Queryable } from './catalog.js';

export type MultipartState = 'open' | 'completed' | 'aborted';

export interface MultipartUploadRecord {
  uploadId: string;
  videoId: string;
  objectKey: string;
  owner: string;
  sizeBytes: number;
  partSizeBytes: number;
  declaredSha256: string | null;
  state: MultipartState;
}

interface MultipartRow {
  upload_id: string;
  video_id: string;
  object_key: string;
  owner: string;
  size_bytes: number | string;
  part_size_bytes: number | string;
  declared_sha256: string | null;
  state: MultipartState;
}

const COLUMNS = 'upload_id, video_id, object_key, owner, size_bytes, part_size_bytes, declared_sha256, state';

export async function insertMultipartUpload(
  db: Queryable,
  upload: Omit<MultipartUploadRecord, 'state'>,
): Promise<void> {
  await db.query(
    `INSERT INTO multipart_uploads (upload_id, video_id, object_key, owner, size_bytes, part_size_bytes, declared_sha256)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      upload.uploadId,
      upload.videoId,
      upload.objectKey,
      upload.owner,
      upload.sizeBytes,
      upload.partSizeBytes,
      upload.declaredSha256,
    ],
  );
}

export async function getMultipartUpload(
  db: Queryable,
  uploadId: string,
): Promise<MultipartUploadRecord | undefined> {
  const rows = await db.query<MultipartRow>(`SELECT ${COLUMNS} FROM multipart_uploads WHERE upload_id = $1`, [
    uploadId,
  ]);
  const row = rows[0];
  return (
    row && {
      uploadId: row.upload_id,
      videoId: row.video_id,
      objectKey: row.object_key,
      owner: row.owner,
      sizeBytes: Number(row.size_bytes),
      partSizeBytes: Number(row.part_size_bytes),
      declaredSha256: row.declared_sha256,
      state: row.state,
    }
  );
}

/** open → `to`; false when the upload was not open (already completed or aborted). */
export async function finishMultipartUpload(
  db: Queryable,
  uploadId: string,
  to: Exclude<MultipartState, 'open'>,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE multipart_uploads SET state = $2, finished_at = date_trunc('milliseconds', now())
     WHERE upload_id = $1 AND state = 'open' RETURNING upload_id`,
    [uploadId, to],
  );
  return rows.length > 0;
}
