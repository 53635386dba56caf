-- The QoE of the viewers on each rung (issue 15's renditions page): per rung and minute, the time the
-- picture was upscaled while that rung played, and the whole-view numbers of the views that played
-- on it (their play and stall time, playback failures and startup times), so a rung's rebuffer ratio,
-- failure rate, startup and QoE score sit next to its watch share and cost.
-- Rows the rollup job wrote before this migration read 0 (and an empty startup state): their rungs
-- show no QoE until the job writes those minutes again; views_v1 answers fresh minutes in full.
ALTER TABLE {db}.qoe_rendition_minute_v1 ADD COLUMN IF NOT EXISTS upscale_time_ms UInt64;
ALTER TABLE {db}.qoe_rendition_minute_v1 ADD COLUMN IF NOT EXISTS view_play_time_ms UInt64;
ALTER TABLE {db}.qoe_rendition_minute_v1 ADD COLUMN IF NOT EXISTS view_rebuffer_time_ms UInt64;
ALTER TABLE {db}.qoe_rendition_minute_v1 ADD COLUMN IF NOT EXISTS playback_failures UInt64;
ALTER TABLE {db}.qoe_rendition_minute_v1 ADD COLUMN IF NOT EXISTS startup_time_ms
    AggregateFunction(quantilesExactInclusive(0.5, 0.9, 0.95), Nullable(UInt32));
