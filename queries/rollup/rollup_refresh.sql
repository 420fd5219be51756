-- rollup_refresh: recompute the subtree aggregates of the (quarter, unit) pairs $quarters[i],
-- $units[i] (all units at one depth) from their own active facts plus their children's roll-up
-- rows, which must be current.  $children lists every child of those units (the caller's tree,
-- the tree of each quarter): naming them lets DuckDB skip the roll-up's row groups by unit
-- code instead of reading every row of the quarters.  A unit's own figure of an indicator a
-- committee may enter as a total (levels 'branch_or_total') replaces its children's rows.
INSERT INTO rollup
WITH pairs AS (SELECT unnest($quarters) AS quarter, unnest($units) AS unit_code),
own AS (
    SELECT f.unit_code, f.quarter, f.indicator_code, f.value, i.threshold, i.levels
    FROM facts f
    JOIN pairs p ON p.quarter = f.quarter AND p.unit_code = f.unit_code
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN indicators i ON i.code = f.indicator_code
    WHERE list_contains($units, f.unit_code)
)
SELECT unit_code, quarter, indicator_code,
       sum(total), max(maximum), sum(n_units)::INTEGER, sum(n_high)::INTEGER
FROM (
    SELECT unit_code, quarter, indicator_code,
           value AS total, value AS maximum, 1 AS n_units,
           CASE WHEN value >= threshold THEN 1 ELSE 0 END AS n_high
    FROM own
    UNION ALL
    SELECT u.parent_code, r.quarter, r.indicator_code, r.total, r.maximum, r.n_units, r.n_high
    FROM rollup r
    JOIN unit_versions u ON u.code = r.unit_code
         AND r.quarter BETWEEN coalesce(u.active_from, '0000Q1') AND coalesce(u.active_to, '9999Q4')
    JOIN pairs p ON p.quarter = r.quarter AND p.unit_code = u.parent_code
    ANTI JOIN own t ON t.levels = 'branch_or_total' AND t.unit_code = u.parent_code AND t.quarter = r.quarter
         AND t.indicator_code = r.indicator_code
    WHERE list_contains($children, r.unit_code)
)
GROUP BY unit_code, quarter, indicator_code
