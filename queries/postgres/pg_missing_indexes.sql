-- pg_missing_indexes: which of the app's indexes do not exist yet.  Looked up by name, not by
-- CREATE INDEX IF NOT EXISTS, which takes a share lock on the table even when the index is there.
SELECT name FROM unnest(%(names)s::text[]) AS name WHERE to_regclass(name) IS NULL
