-- Per-viewer experiment numbers by the minute their views started, for SETTLED views of an
-- experiment's arms (variant '<experimentId>.<arm>'; src/experiments/experiment-viewers-query.ts).
-- The per-minute QoE rollups drop the viewer, and an experiment's statistics are per viewer (the
-- delta method, the viewer-clustered p95), so the results route reads this table up to the rollup
-- watermark and views_v1 only after it. Written by the rollup job beside qoe_minute_v1, recomputing
-- whole minutes: a minute written twice has identical rows, and ReplacingMergeTree(computed_at) +
-- FINAL in the reader keeps one.
CREATE TABLE IF NOT EXISTS {db}.experiment_viewer_minute_v1
(
    minute DateTime('UTC'),
    variant LowCardinality(String),
    viewer_id String,
    synthetic UInt8,
    views UInt64,
    plays UInt64,
    started_views UInt64,
    start_failures UInt64,
    playback_failures UInt64,
    rebuffer_count UInt64,
    rebuffer_time_ms UInt64,
    watch_time_ms UInt64,
    play_time_ms UInt64,
    upscale_time_ms UInt64,
    bitrate_kbps_x_play_ms UInt64,
    bitrate_play_time_ms UInt64,
    -- Each started view's startup time: the p95 is computed over views, clustered by viewer.
    startup_times_ms Array(UInt32),
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(minute)
ORDER BY (variant, minute, viewer_id, synthetic);
