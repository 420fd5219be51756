-- facts_insert: the values of submission $submission_id for $quarter, given as parallel lists
-- $units, $indicators, $values and where each was read, $sheets and $cells (NULL where a value
-- was not read from a workbook cell); one fact per position.  Bound, not a registered frame:
-- a return's few hundred values bind in well under a millisecond.  Exact (approx false); the
-- approximate ones are marked after (facts_mark_approx).
INSERT INTO facts (submission_id, unit_code, quarter, indicator_code, value, sheet, cell, approx)
SELECT $submission_id, unnest($units), $quarter, unnest($indicators), CAST(unnest($values) AS DOUBLE),
       unnest($sheets), unnest($cells), FALSE
