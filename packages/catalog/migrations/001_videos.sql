-- The catalog is the source of truth for a video's state; every service reads status from here.
CREATE TABLE videos (
  -- Byte order, so keyset pagination on id behaves the same on every server and locale.
  id text COLLATE "C" PRIMARY KEY,
  title text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  filename text,
  status text NOT NULL DEFAULT 'waiting_upload'
    CHECK (status IN ('waiting_upload', 'uploaded', 'processing', 'ready', 'failed')),
  error text,
  progress_percent real CHECK (progress_percent BETWEEN 0 AND 100),
  playback_policy text NOT NULL DEFAULT 'public' CHECK (playback_policy IN ('public', 'signed')),
  duration_ms bigint CHECK (duration_ms >= 0),
  source_key text,
  source_sha256 text,
  owner text,
  ladder jsonb,
  -- Millisecond precision so the ISO strings handed out (and keyset cursors built from them)
  -- compare equal to what is stored.
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  -- Title outranks description in search results.
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', description), 'B')
  ) STORED
);

CREATE INDEX videos_search_idx ON videos USING gin (search);
CREATE INDEX videos_created_idx ON videos (created_at DESC, id DESC);
CREATE INDEX videos_status_created_idx ON videos (status, created_at DESC, id DESC);
CREATE INDEX videos_owner_created_idx ON videos (owner, created_at DESC, id DESC) WHERE owner IS NOT NULL;
CREATE INDEX videos_source_sha256_idx ON videos (source_sha256) WHERE source_sha256 IS NOT NULL;
