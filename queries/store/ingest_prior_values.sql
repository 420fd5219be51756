-- ingest_prior_values: what the earlier active returns of $reporting_unit say about
-- $indicators before $quarter, per unit and indicator: the value at the end of $previous
-- (the quarter just before) and the sum over every earlier quarter.  The validator checks
-- conversions against the probationary members at the quarter's start, and leads disposed
-- against those received plus those carried over.
SELECT f.unit_code, f.indicator_code,
       sum(f.value) FILTER (WHERE f.quarter = $previous) AS previous_value,
       sum(f.value) AS cumulative
FROM submissions s
JOIN facts f ON f.submission_id = s.id
WHERE s.unit_code = $reporting_unit AND s.status = 'active' AND s.quarter < $quarter
  AND list_contains($indicators, f.indicator_code)
GROUP BY f.unit_code, f.indicator_code
