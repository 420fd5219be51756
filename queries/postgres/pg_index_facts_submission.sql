-- pg_index_facts_submission: a submission's facts, and one unit's facts of a quarter, without reading the
-- table (DuckDB's row groups skip by min/max; PostgreSQL needs an index).
CREATE INDEX IF NOT EXISTS facts_submission ON facts (submission_id)
