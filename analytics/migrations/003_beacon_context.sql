-- What the server that received a beacon learned about the request (the envelope's `context`,
-- packages/core/src/schemas/beacon-envelope.ts): parsed User-Agent, country from a trusted edge
-- header, the truncated client address and the client's clock offset. NULL when the producer sent
-- no context (older collectors, delivery's CMCD beacons). These are the dimensions of the QoE API.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS browser LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS browser_version LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS os LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS device_class LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS country LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS ip_prefix Nullable(String);
-- Server receive time minus the client's clock (ms); signed: a client clock can be ahead.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS clock_offset_ms Nullable(Int64);
