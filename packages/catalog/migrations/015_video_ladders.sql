-- The ladders a video carries beside its primary one (videos.ladder): each an encode of the video's
-- source with `ladder_id@ladder_version`, published under media/<video>/<ladder_id>/ and stated in
-- `record` (core's LadderRecord, with bytes per rendition) once ready. `job_id` is the transcode job
-- that may publish it: a request for another version replaces the job, and the old one's late
-- publication is refused. Removed with the video.
CREATE TABLE video_ladders (
  video_id text COLLATE "C" NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  ladder_id text COLLATE "C" NOT NULL,
  ladder_version integer NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
  error text,
  job_id text NOT NULL,
  record jsonb,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (video_id, ladder_id),
  FOREIGN KEY (ladder_id, ladder_version) REFERENCES ladders (id, version),
  CHECK ((status = 'ready') = (record IS NOT NULL))
);
