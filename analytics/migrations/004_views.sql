-- The view-level table: one logical row per view (view_id), maintained incrementally by the
-- materialized view below as beacons are inserted into beacons_v1. Physically a view has one row per
-- insert block and day until merges combine them, so every reader GROUPs BY video_id, view_id and
-- merges the states (src/qoe-view-sql.ts).
--
-- Why the state is a SET of per-beacon facts (groupUniqArray) rather than running sums: the same beacon
-- can be inserted twice (a redelivered batch with other boundaries, a resending client) and an MV sees
-- every copy. sum/count states would count it twice; a set keyed by the beacon's hash keeps it once,
-- whatever the merge timing. min/max/any are idempotent as they are. Every number of a view (startup,
-- play, stall, seek, pause durations, counts, bitrate time-weights, failure flags) is derived from this
-- set at read time; the per-minute rollups (005) then hold plain sums over settled views.
--
-- `day` (of the beacon's arrival) is in the key so that old data can be dropped by partition
-- (src/jobs/retention-job.ts); a view that crosses midnight has rows in two days and readers merge them.
CREATE TABLE IF NOT EXISTS {db}.views_v1
(
    video_id String,
    view_id String,
    day Date,
    session_id SimpleAggregateFunction(any, String),
    viewer_id SimpleAggregateFunction(any, String),
    variant SimpleAggregateFunction(any, Nullable(String)),
    ladder_id SimpleAggregateFunction(any, Nullable(String)),
    browser SimpleAggregateFunction(any, Nullable(String)),
    os SimpleAggregateFunction(any, Nullable(String)),
    device_class SimpleAggregateFunction(any, Nullable(String)),
    country SimpleAggregateFunction(any, Nullable(String)),
    -- The collector's clock at the view's first and latest beacon: the view starts at the first.
    first_received_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_received_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    -- The store's clock when the view's latest beacons were INSERTED: how the rollup job finds views
    -- that changed since its last run, however late (a consumer catching up on hours of backlog).
    last_inserted_at SimpleAggregateFunction(max, DateTime('UTC')),
    -- One tuple per distinct beacon; absent optional values are 0 (fatal: 1 only for a fatal error).
    beacons AggregateFunction(groupUniqArray, Tuple(
        beacon_hash UInt64,
        event String,
        monotonic_ms Float64,
        startup_time_ms UInt32,
        fatal UInt8,
        watch_time_ms UInt32,
        play_time_ms UInt32,
        pause_time_ms UInt32,
        rebuffer_duration_ms UInt32,
        seek_duration_ms UInt32,
        upscale_time_ms UInt32,
        bitrate_kbps UInt32,
        height UInt16))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(day)
ORDER BY (video_id, view_id, day);

-- Player QoE reads the SDK's beacons only: the origin's CMCD rows describe requests, not views.
CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.views_v1_mv TO {db}.views_v1 AS
SELECT
    video_id,
    view_id,
    toDate(received_at) AS day,
    any(session_id) AS session_id,
    any(viewer_id) AS viewer_id,
    any(variant) AS variant,
    any(ladder_id) AS ladder_id,
    any(browser) AS browser,
    any(os) AS os,
    any(device_class) AS device_class,
    any(country) AS country,
    min(received_at) AS first_received_at,
    max(received_at) AS last_received_at,
    now('UTC') AS last_inserted_at,
    groupUniqArrayState(CAST(tuple(
        cityHash64(beacon_id),
        toString(event),
        monotonic_ms,
        ifNull(startup_time_ms, 0),
        toUInt8(event = 'error' AND ifNull(fatal, false)),
        ifNull(watch_time_ms, 0),
        ifNull(play_time_ms, 0),
        ifNull(pause_time_ms, 0),
        ifNull(rebuffer_duration_ms, 0),
        ifNull(seek_duration_ms, 0),
        ifNull(upscale_time_ms, 0),
        ifNull(bitrate_kbps, 0),
        ifNull(height, 0)),
        'Tuple(beacon_hash UInt64, event String, monotonic_ms Float64, startup_time_ms UInt32, fatal UInt8, watch_time_ms UInt32, play_time_ms UInt32, pause_time_ms UInt32, rebuffer_duration_ms UInt32, seek_duration_ms UInt32, upscale_time_ms UInt32, bitrate_kbps UInt32, height UInt16)'
    )) AS beacons
FROM {db}.beacons_v1
WHERE source = 'sdk'
GROUP BY video_id, view_id, day;

-- Views from beacons stored before this table existed. Safe to run again (a migration interrupted
-- halfway, or beacons the MV also saw): the per-beacon set absorbs the second copy.
INSERT INTO {db}.views_v1
SELECT
    video_id,
    view_id,
    toDate(received_at) AS day,
    any(session_id) AS session_id,
    any(viewer_id) AS viewer_id,
    any(variant) AS variant,
    any(ladder_id) AS ladder_id,
    any(browser) AS browser,
    any(os) AS os,
    any(device_class) AS device_class,
    any(country) AS country,
    min(received_at) AS first_received_at,
    max(received_at) AS last_received_at,
    now('UTC') AS last_inserted_at,
    groupUniqArrayState(CAST(tuple(
        cityHash64(beacon_id),
        toString(event),
        monotonic_ms,
        ifNull(startup_time_ms, 0),
        toUInt8(event = 'error' AND ifNull(fatal, false)),
        ifNull(watch_time_ms, 0),
        ifNull(play_time_ms, 0),
        ifNull(pause_time_ms, 0),
        ifNull(rebuffer_duration_ms, 0),
        ifNull(seek_duration_ms, 0),
        ifNull(upscale_time_ms, 0),
        ifNull(bitrate_kbps, 0),
        ifNull(height, 0)),
        'Tuple(beacon_hash UInt64, event String, monotonic_ms Float64, startup_time_ms UInt32, fatal UInt8, watch_time_ms UInt32, play_time_ms UInt32, pause_time_ms UInt32, rebuffer_duration_ms UInt32, seek_duration_ms UInt32, upscale_time_ms UInt32, bitrate_kbps UInt32, height UInt16)'
    )) AS beacons
FROM {db}.beacons_v1
WHERE source = 'sdk'
GROUP BY video_id, view_id, day;
