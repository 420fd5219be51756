-- check_facts_out_of_quarter: submissions holding facts of a quarter other than their own (a return
-- covers one quarter, and its facts are written with it).
SELECT s.id, s.unit_code, s.quarter, list(DISTINCT f.quarter ORDER BY f.quarter) AS fact_quarters,
       count(*) AS n_facts
FROM facts f
JOIN submissions s ON s.id = f.submission_id
WHERE f.quarter <> s.quarter
GROUP BY s.id, s.unit_code, s.quarter
ORDER BY s.id
