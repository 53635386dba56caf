-- Raw QoE beacons (qoe.beacon.v1), one row per beacon as the collector received it and the consumer
-- read it from Kafka. Columns mirror packages/core/src/schemas/beacon.ts in snake_case with units in
-- names; an optional beacon field is NULL when the beacon did not carry it.
--
-- Rows can repeat: a batch redelivered with different boundaries, or a client resending a beacon.
-- The insert_deduplication_token (see src/beacon-consumer.ts) removes exact batch retries; every
-- query still deduplicates on beacon_id, so no merge timing can double count.
CREATE TABLE IF NOT EXISTS {db}.beacons_v1
(
    beacon_id String,
    event LowCardinality(String),
    session_id String,
    view_id String,
    viewer_id String,
    video_id String,
    seq UInt32,
    -- The client's wall clock (untrusted, may be skewed): kept raw, never used to bucket time.
    client_time_ms UInt64,
    monotonic_ms Float64,
    playhead_ms Nullable(UInt32),
    startup_time_ms Nullable(UInt32),
    rebuffer_duration_ms Nullable(UInt32),
    watch_time_ms Nullable(UInt32),
    bitrate_kbps Nullable(UInt32),
    width Nullable(UInt16),
    height Nullable(UInt16),
    error_code LowCardinality(Nullable(String)),
    error_message Nullable(String),
    fatal Nullable(Bool),
    variant LowCardinality(Nullable(String)),
    ladder_id LowCardinality(Nullable(String)),
    sdk_version LowCardinality(Nullable(String)),
    -- The collector's clock when the beacon arrived: what time ranges filter and partition on.
    received_at DateTime64(3, 'UTC'),
    kafka_partition UInt32,
    kafka_offset UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (video_id, received_at, beacon_id)
-- Plain MergeTree keeps no insert tokens unless given a window; 1000 blocks covers any redelivery.
SETTINGS non_replicated_deduplication_window = 1000;
