-- Direct-to-S3 multipart uploads in flight: which video and object an S3 upload id belongs to, and
-- who started it, so only that owner can complete or abort it.
CREATE TABLE multipart_uploads (
  upload_id text COLLATE "C" PRIMARY KEY,
  video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  object_key text NOT NULL,
  owner text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes > 0),
  part_size_bytes bigint NOT NULL CHECK (part_size_bytes > 0),
  declared_sha256 text,
  state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'completed', 'aborted')),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  finished_at timestamptz
);

CREATE INDEX multipart_uploads_video_idx ON multipart_uploads (video_id);
