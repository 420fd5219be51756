-- pg_index_facts_approx: the few facts written as approximations, found without reading the table
-- (approx_marks asks for them on every figure; DuckDB's row groups skip by min/max).
CREATE INDEX IF NOT EXISTS facts_approx ON facts (unit_code, quarter) WHERE approx
