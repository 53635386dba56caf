-- Ladder experiments (core's experiments.ts). `definition` is what was posted (arms with their
-- ladder versions fixed at creation); `arms` the arms as served: buckets and whether stopped. `salt`
-- keys the viewer hash, so assignment is stable per experiment and independent between experiments.
-- `history` records who changed what, newest last.
CREATE TABLE experiments (
  id text COLLATE "C" PRIMARY KEY,
  definition jsonb NOT NULL,
  arms jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('draft', 'running', 'stopped', 'concluded')),
  salt text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  started_at timestamptz,
  stopped_at timestamptz,
  history jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX experiments_running ON experiments (status) WHERE status = 'running';

-- Experiments get their own API-key scope: who may start and stop what viewers are served.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check CHECK (
  cardinality(scopes) > 0 AND scopes <@ ARRAY['upload', 'manage', 'analytics-read', 'experiments']::text[]
);
