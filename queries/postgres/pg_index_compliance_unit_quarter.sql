-- pg_index_compliance_unit_quarter: a branch's 三会一课 figures of a span of quarters out of compliance_values.
CREATE INDEX IF NOT EXISTS compliance_unit_quarter ON compliance_values (unit_code, quarter, indicator_code)
