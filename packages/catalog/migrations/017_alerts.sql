-- QoE alert rules (core's schemas/alerts.ts) and the events of their state changes. A rule's state
-- (ok/firing) and last reading are kept on it, so any analytics replica's cron run picks up where the
-- last one stopped; an event row is written in the same transaction as the state change it records,
-- and its webhook delivery is tracked on it (pending → sent, or failed after the last attempt).
CREATE TABLE alert_rules (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  metric text NOT NULL,
  video_id text COLLATE "C",
  threshold double precision NOT NULL CHECK (threshold >= 0),
  window_minutes integer NOT NULL CHECK (window_minutes BETWEEN 5 AND 1440),
  min_plays integer NOT NULL CHECK (min_plays >= 1),
  cooldown_minutes integer NOT NULL CHECK (cooldown_minutes BETWEEN 0 AND 1440),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  state text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'firing')),
  state_since timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  last_value double precision,
  last_plays integer,
  last_checked_at timestamptz,
  last_fired_at timestamptz
);

CREATE TABLE alert_events (
  id text COLLATE "C" PRIMARY KEY,
  rule_id text COLLATE "C" NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('firing', 'resolved')),
  rule_name text NOT NULL,
  metric text NOT NULL,
  video_id text COLLATE "C",
  threshold double precision NOT NULL,
  window_minutes integer NOT NULL,
  value double precision NOT NULL,
  plays integer NOT NULL,
  at timestamptz NOT NULL,
  delivery text NOT NULL CHECK (delivery IN ('not-configured', 'pending', 'sent', 'failed')),
  delivery_attempts integer NOT NULL DEFAULT 0,
  delivery_error text
);
CREATE INDEX alert_events_newest ON alert_events (at DESC, id DESC);
CREATE INDEX alert_events_pending ON alert_events (at) WHERE delivery = 'pending';
