-- submission_status: for each expected return — reporting unit $units[i] for quarter $quarters[i],
-- due by $deadlines[i] (the tree of each quarter says which units report; domain/deadlines.py
-- says when) — its active return, if any: who sent it and when, whether it is demo data, and
-- whether it came in by the deadline, as of $today (the product's clock, dashboard/clock.py).
--   status: submitted (on time) | late | missing (deadline passed, nothing in) | pending (not yet due)
-- scope: units units
WITH grid AS (
    SELECT e.unit_code, u.name_zh AS unit_name_zh, u.name_en AS unit_name_en, u.sort_order AS unit_order,
           e.quarter, e.deadline
    FROM (SELECT unnest($units) AS unit_code, unnest($quarters) AS quarter,
                 CAST(unnest($deadlines) AS DATE) AS deadline) e
    JOIN units u ON u.code = e.unit_code
)
SELECT g.unit_code, g.unit_name_zh, g.unit_name_en, g.unit_order, g.quarter, g.deadline,
       s.id AS submission_id, s.submitted_by, s.submitted_at, s.file_name,
       coalesce(s.is_demo, false) AS is_demo,
       CASE WHEN s.id IS NULL AND CAST($today AS DATE) <= g.deadline THEN 'pending'
            WHEN s.id IS NULL THEN 'missing'
            WHEN CAST(s.submitted_at AS DATE) > g.deadline THEN 'late'
            ELSE 'submitted' END AS status
FROM grid g
LEFT JOIN submissions s ON s.unit_code = g.unit_code AND s.quarter = g.quarter AND s.status = 'active'
ORDER BY g.unit_order, g.quarter
