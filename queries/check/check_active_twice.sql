-- check_active_twice: reporting unit-quarters with more than one active submission (there is one
-- at most: every figure of a unit-quarter comes from exactly one return).
SELECT unit_code, quarter, list(id ORDER BY id) AS ids
FROM submissions
WHERE status = 'active'
GROUP BY unit_code, quarter
HAVING count(*) > 1
ORDER BY unit_code, quarter
