-- Per-minute QoE rollups over SETTLED views (no beacon for a while, src/jobs/rollup-job.ts), by the
-- minute the view started. Written by the rollup job, which recomputes whole minutes from views_v1:
-- a minute written twice has identical rows, and ReplacingMergeTree(computed_at) + FINAL in every
-- reader keeps one, so rerunning the job (or running two at once) cannot double count.
-- Dimensions are '' when unknown (a beacon without them, an envelope without context).
CREATE TABLE IF NOT EXISTS {db}.qoe_minute_v1
(
    minute DateTime('UTC'),
    video_id String,
    variant LowCardinality(String),
    ladder_id LowCardinality(String),
    browser LowCardinality(String),
    os LowCardinality(String),
    device_class LowCardinality(String),
    country LowCardinality(String),
    views UInt64,
    plays UInt64,
    started_views UInt64,
    start_failures UInt64,
    exits_before_start UInt64,
    playback_failures UInt64,
    -- Distinct viewer ids of the plays, mergeable across minutes and dimensions.
    viewers AggregateFunction(uniqExact, Nullable(String)),
    -- Every started view's startup time (exact quantiles over any set of minutes).
    startup_time_ms AggregateFunction(quantilesExactInclusive(0.5, 0.9, 0.95), Nullable(UInt32)),
    error_count UInt64,
    rebuffer_count UInt64,
    rebuffer_time_ms UInt64,
    seek_count UInt64,
    seek_time_ms UInt64,
    watch_time_ms UInt64,
    play_time_ms UInt64,
    pause_time_ms UInt64,
    upscale_time_ms UInt64,
    -- Σ bitrate_kbps × play_time_ms over heartbeats that carry both, and Σ play_time_ms of those.
    bitrate_kbps_x_play_ms UInt64,
    bitrate_play_time_ms UInt64,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, video_id, variant, ladder_id, browser, os, device_class, country);

-- Per-minute play time and viewers by rendition (rung), so a ladder's rungs can be compared.
CREATE TABLE IF NOT EXISTS {db}.qoe_rendition_minute_v1
(
    minute DateTime('UTC'),
    video_id String,
    variant LowCardinality(String),
    ladder_id LowCardinality(String),
    browser LowCardinality(String),
    os LowCardinality(String),
    device_class LowCardinality(String),
    country LowCardinality(String),
    -- '<height>p@<bitrate>kbps' of the heartbeats' current rendition.
    rendition LowCardinality(String),
    height UInt16,
    bitrate_kbps UInt32,
    views UInt64,
    viewers AggregateFunction(uniqExact, Nullable(String)),
    play_time_ms UInt64,
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, video_id, variant, ladder_id, browser, os, device_class, country, rendition);

-- How far the rollups reach: minutes before `watermark` are read from the rollups, later ones from
-- views_v1. Only moves forward (readers take max()).
CREATE TABLE IF NOT EXISTS {db}.qoe_rollup_state_v1
(
    name LowCardinality(String),
    watermark DateTime('UTC'),
    -- views_v1 rows inserted up to here were looked at by the run that wrote this row.
    inserted_through DateTime('UTC'),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name;
