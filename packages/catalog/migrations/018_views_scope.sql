-- One viewer's data gets its own API-key scope (issue 15's privacy floor): the views list, a view's
-- beacons and read-only SQL (which reads every row) need 'analytics-views'; 'analytics-read' keeps the
-- aggregates, whose cells under QOE_PRIVACY_MIN_VIEWERS viewers are suppressed.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check CHECK (
  cardinality(scopes) > 0
  AND scopes <@ ARRAY['upload', 'manage', 'analytics-read', 'analytics-views', 'experiments']::text[]
);
