-- compliance_refresh: recompute the 三会一课 figures (each unit's own active figure of every
-- indicator in compliance_indicators) of the (quarter, unit) pairs $quarters[i], $units[i].
INSERT INTO compliance_values
WITH pairs AS (SELECT unnest($quarters) AS quarter, unnest($units) AS unit_code)
SELECT f.unit_code, f.quarter, f.indicator_code, sum(f.value)
FROM facts f
JOIN pairs p ON p.quarter = f.quarter AND p.unit_code = f.unit_code
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
JOIN compliance_indicators c ON c.indicator_code = f.indicator_code
WHERE list_contains($units, f.unit_code)
GROUP BY f.unit_code, f.quarter, f.indicator_code
