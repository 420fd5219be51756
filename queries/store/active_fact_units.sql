-- active_fact_units: which units each active submission holds facts for (submission id, its
-- reporting unit and quarter, the unit, how many facts): a tree import checks them against the
-- new tree's returns, so no row is left in a return that no longer covers its unit.
SELECT s.id, s.unit_code AS reporting_unit, s.quarter, f.unit_code, count(*) AS n_facts
FROM facts f
JOIN submissions s ON s.id = f.submission_id
WHERE s.status = 'active'
GROUP BY s.id, s.unit_code, s.quarter, f.unit_code
ORDER BY s.quarter, s.unit_code, f.unit_code
