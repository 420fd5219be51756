-- pg_index_submissions_unit_quarter: a unit-quarter's active submission.
CREATE INDEX IF NOT EXISTS submissions_unit_quarter ON submissions (unit_code, quarter, status)
