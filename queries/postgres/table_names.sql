-- table_names: every table the database holds (a snapshot must cover them all); PostgreSQL keeps
-- them in the schema `public`, not DuckDB's `main`.
SELECT table_name FROM information_schema.tables
WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
ORDER BY 1
