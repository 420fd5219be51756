-- pg_index_facts_unit_quarter: the facts of some units in some quarters (validation, 'own' figures).
CREATE INDEX IF NOT EXISTS facts_unit_quarter ON facts (unit_code, quarter, indicator_code)
