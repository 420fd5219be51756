-- submission_get: the unit, quarter and status of submission $id.
SELECT unit_code, quarter, status FROM submissions WHERE id = $id
