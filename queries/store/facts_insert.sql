-- facts_insert: the values of submission $submission_id for $quarter, given as three parallel
-- lists $units, $indicators, $values (one fact per position; bound, not a registered frame:
-- a return's few hundred values bind in well under a millisecond).
INSERT INTO facts
SELECT $submission_id, unnest($units), $quarter, unnest($indicators), CAST(unnest($values) AS DOUBLE)
