-- submission_status: for each reporting unit in $units and each quarter in $quarters, its active
-- return, if any: who sent it and when, whether it is demo data, and whether it came in by the
-- deadline ($deadline_days days after the quarter ends).
--   status: submitted (on time) | late | missing (deadline passed, nothing in) | pending (not yet due)
WITH grid AS (
    SELECT u.code AS unit_code, u.name_zh AS unit_name_zh, u.name_en AS unit_name_en,
           u.sort_order AS unit_order, q.quarter,
           CAST(last_day(make_date(CAST(left(q.quarter, 4) AS INTEGER),
                                   CAST(right(q.quarter, 1) AS INTEGER) * 3, 1))
                + to_days(CAST($deadline_days AS INTEGER)) AS DATE) AS deadline
    FROM units u CROSS JOIN (SELECT unnest($quarters) AS quarter) q
    WHERE list_contains($units, u.code)
)
SELECT g.unit_code, g.unit_name_zh, g.unit_name_en, g.unit_order, g.quarter, g.deadline,
       s.id AS submission_id, s.submitted_by, s.submitted_at, s.file_name,
       coalesce(s.is_demo, false) AS is_demo,
       CASE WHEN s.id IS NULL AND current_date <= g.deadline THEN 'pending'
            WHEN s.id IS NULL THEN 'missing'
            WHEN CAST(s.submitted_at AS DATE) > g.deadline THEN 'late'
            ELSE 'submitted' END AS status
FROM grid g
LEFT JOIN submissions s ON s.unit_code = g.unit_code AND s.quarter = g.quarter AND s.status = 'active'
ORDER BY g.unit_order, g.quarter
