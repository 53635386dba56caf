-- The optional qoe.beacon.v1 fields of issue 5 (packages/core/src/schemas/beacon.ts): per-view
-- context, seeks, rendition switches, picture and network counters, the SDK's dropped-beacon count,
-- and the CMCD (CTA-5004) data the origin harvests. snake_case with units in the names, NULL where a
-- beacon did not carry the field. Every statement can run twice (a migration interrupted halfway
-- converges when it runs again).
--
-- `source` tells the player SDK's beacons ('sdk', also every row written before this column existed)
-- from the origin's ('cmcd'); player QoE numbers read source = 'sdk' only.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS source LowCardinality(String) DEFAULT 'sdk';

-- Per view (viewstart): where and how it plays.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS player_name LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS player_version LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS page_origin LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS viewport_width Nullable(UInt16);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS viewport_height Nullable(UInt16);
-- Float64: 1.1 or 2.625 come back exactly as the browser reported them.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS device_pixel_ratio Nullable(Float64);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS media_duration_ms Nullable(UInt32);

-- Seeks (seekend).
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS seek_duration_ms Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS seek_from_ms Nullable(UInt32);

-- Rendition switches (renditionchange): bitrate_kbps/width/height are the new rung.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS from_bitrate_kbps Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS from_width Nullable(UInt16);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS from_height Nullable(UInt16);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS switch_reason LowCardinality(Nullable(String));

-- Counters since the previous heartbeat (heartbeat, viewend).
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS play_time_ms Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS pause_time_ms Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS player_width Nullable(UInt16);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS player_height Nullable(UInt16);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS upscale_time_ms Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS downscale_time_ms Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS dropped_frames Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS decoded_frames Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS request_count Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS request_failures Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS bytes_downloaded Nullable(UInt64);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS throughput_kbps Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS ttfb_ms Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS completion_percent Nullable(Float64);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS dropped_beacons Nullable(UInt32);

-- CMCD keys as the origin received them (event 'cmcd'), flattened; units from CTA-5004.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_br_kbps Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_bl_ms Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_d_ms Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_ot LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_sid Nullable(String);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_cid Nullable(String);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_mtp_kbps Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_su Nullable(Bool);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_bs Nullable(Bool);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_tb_kbps Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_pr Nullable(Float64);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_sf LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_st LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_rtp_kbps Nullable(UInt32);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS cmcd_path Nullable(String);

-- The table is ordered by video; reading one session's beacons (the sessions API, joining CMCD with
-- SDK beacons) skips granules by this index instead of scanning every row. Parts written before it
-- existed are read in full until they merge.
ALTER TABLE {db}.beacons_v1 ADD INDEX IF NOT EXISTS session_id_bloom session_id TYPE bloom_filter(0.01) GRANULARITY 4;
