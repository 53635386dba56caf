-- Synthetic (simulated) views through the view table and the per-minute rollups (issue 11): every
-- view and every rollup row says whether it is `synthetic` (0: a real viewer) and, for simulated
-- audiences, its `cohort` and `network_class` ('' unknown, like the other dimensions). The QoE API
-- counts real views only unless asked (`?synthetic=real|synthetic|all`).
--
-- Why ALTER rather than new versioned tables: adding columns keeps every stored row where it is and
-- reading as real (the defaults 0 and ''), with no copy and no second watermark; ClickHouse lets a
-- sorting key grow by columns added in the same ALTER (without a DEFAULT expression, hence none
-- below: UInt8 defaults to 0, String to ''). Every statement can run twice.

-- A view is synthetic when any of its beacons is (the SDK marks every beacon of a simulated view):
-- max, never any, so a view can only ever err towards synthetic, never into a real number.
ALTER TABLE {db}.views_v1
    ADD COLUMN IF NOT EXISTS synthetic SimpleAggregateFunction(max, UInt8) AFTER country,
    ADD COLUMN IF NOT EXISTS cohort SimpleAggregateFunction(any, Nullable(String)) AFTER synthetic,
    ADD COLUMN IF NOT EXISTS network_class SimpleAggregateFunction(any, Nullable(String)) AFTER cohort;

-- The same materialized view with the three new columns. MODIFY QUERY swaps it in place: no moment
-- in which an insert into beacons_v1 would miss views_v1 (DROP + CREATE would have one).
ALTER TABLE {db}.views_v1_mv MODIFY QUERY
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
    max(toUInt8(ifNull(synthetic, false))) AS synthetic,
    any(cohort) AS cohort,
    any(network_class) AS network_class,
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

-- Synthetic beacons stored between 006 and this migration reached views_v1 unmarked. One narrow row
-- per such view marks it (max) and names its cohort; its beacon set stays as it was (this row adds
-- an empty one). last_inserted_at = now: the rollup job recomputes those views' minutes.
INSERT INTO {db}.views_v1
    (video_id, view_id, day, session_id, viewer_id, synthetic, cohort, network_class,
     first_received_at, last_received_at, last_inserted_at)
SELECT
    video_id,
    view_id,
    toDate(received_at) AS day,
    any(session_id),
    any(viewer_id),
    1,
    any(cohort),
    any(network_class),
    min(received_at),
    max(received_at),
    now('UTC')
FROM {db}.beacons_v1
WHERE source = 'sdk' AND synthetic
GROUP BY video_id, view_id, day;

-- The rollups: the new dimensions at the end of the sorting key (the only place ClickHouse lets a
-- key grow), so a synthetic row and a real one of the same minute never replace each other.
ALTER TABLE {db}.qoe_minute_v1
    ADD COLUMN IF NOT EXISTS cohort LowCardinality(String) AFTER country,
    ADD COLUMN IF NOT EXISTS network_class LowCardinality(String) AFTER cohort,
    ADD COLUMN IF NOT EXISTS synthetic UInt8 AFTER network_class,
    MODIFY ORDER BY (minute, video_id, variant, ladder_id, browser, os, device_class, country, cohort, network_class, synthetic);

ALTER TABLE {db}.qoe_rendition_minute_v1
    ADD COLUMN IF NOT EXISTS cohort LowCardinality(String) AFTER country,
    ADD COLUMN IF NOT EXISTS network_class LowCardinality(String) AFTER cohort,
    ADD COLUMN IF NOT EXISTS synthetic UInt8 AFTER network_class,
    MODIFY ORDER BY (minute, video_id, variant, ladder_id, browser, os, device_class, country, rendition, cohort, network_class, synthetic);

-- Minutes rolled up before this migration counted those synthetic views as real. A recomputed minute
-- replaces its real rows, but a row of views that were ALL synthetic would have no successor and stay
-- real forever: drop those minutes' rows; the rollup job's next run (every minute) writes them again
-- (the views above count as inserted now). Only stores that took simulated beacons before this
-- migration have such minutes (elsewhere the subquery, which reads only the narrow `synthetic`
-- column of beacons_v1, finds none and no row changes); until that run they read empty, never wrong.
ALTER TABLE {db}.qoe_minute_v1 DELETE WHERE minute IN (
    SELECT toStartOfMinute(min(first_received_at)) FROM {db}.views_v1
    WHERE (video_id, view_id) IN (SELECT video_id, view_id FROM {db}.beacons_v1 WHERE source = 'sdk' AND synthetic)
    GROUP BY video_id, view_id)
SETTINGS mutations_sync = 2;

ALTER TABLE {db}.qoe_rendition_minute_v1 DELETE WHERE minute IN (
    SELECT toStartOfMinute(min(first_received_at)) FROM {db}.views_v1
    WHERE (video_id, view_id) IN (SELECT video_id, view_id FROM {db}.beacons_v1 WHERE source = 'sdk' AND synthetic)
    GROUP BY video_id, view_id)
SETTINGS mutations_sync = 2;
