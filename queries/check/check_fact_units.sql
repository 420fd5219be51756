-- check_fact_units: which units each reporting unit's active submissions hold facts for in each
-- quarter (with how many facts and the first submission), for the check to hold against the
-- tree of that quarter's return units.  Superseded submissions are the record of what was filed,
-- under the tree of their day: a tree change with --from may put one of their units in another
-- return since, and restoring such a submission is refused (Store.restore).
SELECT s.unit_code AS reporting_unit, s.quarter, f.unit_code, count(*) AS n_facts, min(s.id) AS first_id
FROM facts f
JOIN submissions s ON s.id = f.submission_id
WHERE s.status = 'active'
GROUP BY s.unit_code, s.quarter, f.unit_code
ORDER BY s.unit_code, s.quarter, f.unit_code
