-- Simulated viewers (the simulator, issue 11) mark every beacon `synthetic`, with the audience cohort
-- and the network class of its traces. NULL on every beacon of a real viewer.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS synthetic Nullable(Bool);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cohort LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS network_class LowCardinality(Nullable(String));
