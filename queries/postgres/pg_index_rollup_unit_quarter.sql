-- pg_index_rollup_unit_quarter: a chart's units and quarters out of the roll-up.
CREATE INDEX IF NOT EXISTS rollup_unit_quarter ON rollup (unit_code, quarter, indicator_code)
