-- Content keys of encrypted videos (HLS AES-128): one random key per video, kept here and served by
-- delivery's key route behind the playback token, never stored in the object store next to the
-- segments. Deleting the video deletes its key.
CREATE TABLE video_keys (
  video_id text COLLATE "C" PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
  method text NOT NULL CHECK (method IN ('AES-128')),
  key bytea NOT NULL CHECK (octet_length(key) = 16),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
