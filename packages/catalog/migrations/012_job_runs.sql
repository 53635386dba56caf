-- One row per (job, scheduled period) that a runner claimed: whoever inserts it runs the job for that
-- period, so N replicas with the same schedule run each period once (packages/catalog/src/job-lock.ts).
CREATE TABLE job_runs (
  job text NOT NULL,
  period_start timestamptz NOT NULL,
  runner text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (job, period_start)
);
