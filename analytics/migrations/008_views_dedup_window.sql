-- views_v1 is fed by a materialized view from beacons_v1. The consumer inserts with a dedup token and
-- deduplicate_blocks_in_dependent_materialized_views = 1, but a plain (Aggregating)MergeTree keeps
-- no insert tokens without a window: a redelivered batch that beacons_v1 dropped as a duplicate
-- still reached views_v1 again (measured on chdb 26.7: 80 → 160 rows for one batch inserted twice).
-- The per-beacon set made the numbers come out right anyway; with the window the copy is not written.
ALTER TABLE {db}.views_v1 MODIFY SETTING non_replicated_deduplication_window = 1000;
