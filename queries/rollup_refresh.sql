-- rollup_refresh: recompute the subtree aggregates of $units (all at one depth) for $quarter
-- from their own active facts plus their children's roll-up rows, which must be current.
INSERT INTO rollup
SELECT unit_code, $quarter, indicator_code,
       sum(total), max(maximum), sum(n_units)::INTEGER, sum(n_high)::INTEGER
FROM (
    SELECT f.unit_code, f.indicator_code,
           f.value AS total, f.value AS maximum, 1 AS n_units,
           CASE WHEN f.value >= i.threshold THEN 1 ELSE 0 END AS n_high
    FROM facts f
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN indicators i ON i.code = f.indicator_code
    WHERE f.quarter = $quarter AND list_contains($units, f.unit_code)
    UNION ALL
    SELECT u.parent_code, r.indicator_code, r.total, r.maximum, r.n_units, r.n_high
    FROM rollup r JOIN units u ON u.code = r.unit_code
    WHERE r.quarter = $quarter AND list_contains($units, u.parent_code)
)
GROUP BY unit_code, indicator_code
