-- active_return_units: the units the active submission of $unit and $quarter holds facts for
-- (with how many), read before a new return supersedes it.
SELECT f.unit_code, count(*) AS n_facts
FROM facts f
JOIN submissions s ON s.id = f.submission_id
WHERE s.unit_code = $unit AND s.quarter = $quarter AND s.status = 'active'
GROUP BY f.unit_code
ORDER BY f.unit_code
