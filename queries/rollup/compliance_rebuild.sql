-- compliance_rebuild: each unit's own active figure of every indicator a 三会一课 rule names
-- (compliance_indicators), for the quarters in $quarters (an empty list: every quarter).
INSERT INTO compliance_values
SELECT f.unit_code, f.quarter, f.indicator_code, sum(f.value)
FROM facts f
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
JOIN compliance_indicators c ON c.indicator_code = f.indicator_code
WHERE len($quarters) = 0 OR list_contains($quarters, f.quarter)
GROUP BY f.unit_code, f.quarter, f.indicator_code
