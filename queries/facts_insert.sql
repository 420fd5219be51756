-- facts_insert: the values of submission $submission_id for $quarter, from the DataFrame the
-- store registers as `new_facts` (unit_code, indicator_code, value).
INSERT INTO facts
SELECT $submission_id, unit_code, $quarter, indicator_code, CAST(value AS DOUBLE) FROM new_facts
