-- API keys: `sl_<id>_<secret>` is shown once; only sha256(secret) is kept. The secret is 256 random
-- bits, so a fast hash is enough (scrypt/argon2 slow down guessing low-entropy passwords, which
-- these are not) and every request can be checked without a deliberate CPU cost.
CREATE TABLE api_keys (
  id text COLLATE "C" PRIMARY KEY,
  owner text NOT NULL,
  name text NOT NULL DEFAULT '',
  scopes text[] NOT NULL CHECK (
    cardinality(scopes) > 0 AND scopes <@ ARRAY['upload', 'manage', 'analytics-read']::text[]
  ),
  secret_sha256 text NOT NULL,
  rate_limit_per_minute integer NOT NULL DEFAULT 600 CHECK (rate_limit_per_minute > 0),
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  revoked_at timestamptz
);

CREATE INDEX api_keys_owner_idx ON api_keys (owner, created_at);
