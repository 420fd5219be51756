-- facts_insert: the values of submission $submission_id for $quarter, given as three parallel
-- lists $units, $indicators, $values (one fact per position; bound, not a registered frame:
-- a return's few hundred values bind in well under a millisecond).  Exact (approx false); the
-- approximate ones are marked after (facts_mark_approx).
INSERT INTO facts (submission_id, unit_code, quarter, indicator_code, value, approx)
SELECT $submission_id, unnest($units), $quarter, unnest($indicators), CAST(unnest($values) AS DOUBLE), FALSE
