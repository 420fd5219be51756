-- unit_last_figures: for each unit, the last quarter in which an active return holds it (as the
-- reporting unit or as a unit with figures): a unit cannot end before it.
SELECT unit_code, max(quarter) AS last_quarter
FROM (
    SELECT unit_code, quarter FROM submissions WHERE status = 'active'
    UNION ALL
    SELECT f.unit_code, s.quarter FROM facts f JOIN submissions s ON s.id = f.submission_id
    WHERE s.status = 'active'
)
GROUP BY unit_code
ORDER BY unit_code
