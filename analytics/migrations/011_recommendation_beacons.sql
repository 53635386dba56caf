-- "Up next" (issue 14): impressions and clicks of recommended titles, and views begun from one.
-- On recommendationimpression / recommendationclick: the title shown, why, and its slot (0 first).
-- On viewstart: recommendation_reason says the view began from a click on a recommendation.
-- NULL on every other beacon.
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS recommended_video_id Nullable(String);
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS recommendation_reason LowCardinality(Nullable(String));
ALTER TABLE {db}.beacons_v1 ADD COLUMN IF NOT EXISTS recommendation_position Nullable(UInt8);
