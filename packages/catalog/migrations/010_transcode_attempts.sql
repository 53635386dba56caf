-- Attempts of each transcode job, counted in the catalog BEFORE an attempt starts: a job that kills
-- its worker (kill -9, out of memory) is still bounded across restarts, which a count in the
-- worker's memory is not. current_attempt_id fences publication: only the newest attempt of a job
-- may publish renditions and flip the video's status, so a stalled older attempt that wakes up
-- later cannot overwrite them.
CREATE TABLE transcode_attempts (
  job_id text COLLATE "C" PRIMARY KEY,
  video_id text COLLATE "C" NOT NULL,
  attempts integer NOT NULL CHECK (attempts >= 1),
  current_attempt_id text NOT NULL,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE INDEX transcode_attempts_video_idx ON transcode_attempts (video_id);
