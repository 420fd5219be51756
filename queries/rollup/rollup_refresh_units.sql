-- rollup_refresh_units: recompute the subtree aggregates of the units $units for $quarter in one
-- pass, for a set closed upwards (a return's units and their ancestors).  A unit's aggregate
-- is made of the active facts of the listed units in its subtree ($fact_anc[i] gets the facts
-- of $fact_unit[i]) plus the current roll-up rows of their children that are not listed
-- ($front_anc[i] gets those of $front_unit[i]; $frontier names them so DuckDB skips roll-up row
-- groups by unit code).  The caller deletes the units' rows first (rollup_delete).
INSERT INTO rollup
WITH fp AS (SELECT unnest($fact_anc) AS anc, unnest($fact_unit) AS unit_code),
     rp AS (SELECT unnest($front_anc) AS anc, unnest($front_unit) AS unit_code)
SELECT anc, $quarter, indicator_code,
       sum(total), max(maximum), sum(n_units)::INTEGER, sum(n_high)::INTEGER
FROM (
    SELECT fp.anc, f.indicator_code,
           f.value AS total, f.value AS maximum, 1 AS n_units,
           CASE WHEN f.value >= i.threshold THEN 1 ELSE 0 END AS n_high
    FROM facts f
    JOIN fp ON fp.unit_code = f.unit_code
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN indicators i ON i.code = f.indicator_code
    WHERE f.quarter = $quarter AND list_contains($units, f.unit_code)
    UNION ALL
    SELECT rp.anc, r.indicator_code, r.total, r.maximum, r.n_units, r.n_high
    FROM rollup r
    JOIN rp ON rp.unit_code = r.unit_code
    WHERE r.quarter = $quarter AND list_contains($frontier, r.unit_code)
)
GROUP BY anc, indicator_code
