-- lend_bulk_subs: the DataFrame bulk_subs (what DuckDB reads in place) as a temporary table, from
-- its columns as parallel arrays; gone when the transaction ends.
CREATE TEMPORARY TABLE bulk_subs ON COMMIT DROP AS
SELECT * FROM unnest(CAST($unit_code AS TEXT[]), CAST($quarter AS TEXT[]), CAST($submitted_at AS TIMESTAMP[]))
    AS t (unit_code, quarter, submitted_at)
