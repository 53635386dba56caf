-- Tags, searchable next to title and description (issue 7: full-text search over all three).
ALTER TABLE videos ADD COLUMN tags text[] NOT NULL DEFAULT '{}';

-- array_to_string is only STABLE (element output functions could in principle change), and a
-- generated column needs an IMMUTABLE expression; for text[] it is immutable in fact.
CREATE FUNCTION streamloop_tags_text(tags text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT array_to_string(tags, ' ') $$;

-- Dropping the generated column drops its index too; both come back with tags in them.
ALTER TABLE videos DROP COLUMN search;
ALTER TABLE videos ADD COLUMN search tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', title), 'A')
  || setweight(to_tsvector('english', streamloop_tags_text(tags)), 'B')
  || setweight(to_tsvector('english', description), 'C')
) STORED;
CREATE INDEX videos_search_idx ON videos USING gin (search);
