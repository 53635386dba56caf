-- Playback restrictions per owner (core's PlaybackRestrictions): the sites allowed to play that
-- owner's public videos. No row = no restriction. Delivery reads this on every playback request,
-- so the row is keyed by owner and kept small; the 100-domain cap mirrors the contract.
CREATE TABLE playback_restrictions (
  owner text COLLATE "C" PRIMARY KEY,
  allowed_domains text[] NOT NULL CHECK (cardinality(allowed_domains) <= 100),
  allow_no_origin boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
