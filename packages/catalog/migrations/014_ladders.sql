-- Named, versioned encoding ladders (core's ladders.ts). A version is immutable once written: a video
-- encoded with `default@2` and an experiment arm naming it must always mean the same rungs. A change is
-- a new version; the newest version of an id is what "the ladder `id`" means.
CREATE TABLE ladders (
  id text COLLATE "C" NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  definition jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (id, version)
);
