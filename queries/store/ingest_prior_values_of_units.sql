-- ingest_prior_values_of_units: ingest_prior_values restricted to the facts of $units (the
-- units a return of $reporting_unit can carry, $first and $last the least and greatest code),
-- so DuckDB reads the row groups holding those units instead of every fact.  The validator
-- looks values up only for such units; it falls back to ingest_prior_values when this finds
-- nothing (to tell "no earlier return" exactly).
SELECT f.unit_code, f.indicator_code,
       sum(f.value) FILTER (WHERE f.quarter = $previous) AS previous_value,
       sum(f.value) AS cumulative
FROM submissions s
JOIN facts f ON f.submission_id = s.id
WHERE s.unit_code = $reporting_unit AND s.status = 'active' AND s.quarter < $quarter
  AND f.unit_code BETWEEN $first AND $last
  AND list_contains($units, f.unit_code)
  AND list_contains($indicators, f.indicator_code)
GROUP BY f.unit_code, f.indicator_code
