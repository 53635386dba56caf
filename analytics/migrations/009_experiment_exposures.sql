-- Experiment exposures (experiment.exposure.v1, packages/core/src/schemas/experiment-exposure.ts):
-- one row per playback answer of delivery that assigned an arm, as the exposure consumer read it
-- from `experiment-exposures`. Sample-ratio mismatch counts distinct viewers exposed per arm here,
-- and compares them with the viewers beacons saw per arm (a gap is a tracking problem).
--
-- A viewer opens a video several times: rows repeat per viewer by design; queries count
-- uniqExact(viewer_id). A redelivered batch is dropped by its insert_deduplication_token
-- (src/exposure-consumer.ts), so a row is a playback answer, counted once.
CREATE TABLE IF NOT EXISTS {db}.experiment_exposures_v1
(
    experiment_id LowCardinality(String),
    arm LowCardinality(String),
    viewer_id String,
    video_id String,
    -- Delivery's clock when the token was issued.
    exposed_at DateTime64(3, 'UTC'),
    synthetic Bool,
    kafka_partition UInt32,
    kafka_offset UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(exposed_at)
ORDER BY (experiment_id, arm, viewer_id, exposed_at)
-- Plain MergeTree keeps no insert tokens unless given a window; 1000 blocks covers any redelivery.
SETTINGS non_replicated_deduplication_window = 1000;
