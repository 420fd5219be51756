-- rollup_refresh_units: recompute the subtree aggregates of the units $units for $quarter in one
-- pass, for a set closed upwards (a return's units and their ancestors).  A unit's aggregate
-- is made of the active facts of the listed units in its subtree ($fact_anc[i] gets the facts
-- of $fact_unit[i]) plus the current roll-up rows of their children that are not listed
-- ($front_anc[i] gets those of $front_unit[i]; $frontier names them so DuckDB skips roll-up row
-- groups by unit code).  The caller deletes the units' rows first (rollup_delete).
-- A listed unit's own figure of an indicator a committee may enter as a total (levels
-- 'branch_or_total') stands for its subtree: from it up, what lies below it is left out.
INSERT INTO rollup
WITH fp AS (SELECT unnest($fact_anc) AS anc, unnest($fact_unit) AS unit_code),
     rp AS (SELECT unnest($front_anc) AS anc, unnest($front_unit) AS unit_code),
own AS (
    SELECT f.unit_code, f.indicator_code, f.value, i.threshold, i.levels
    FROM facts f
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN indicators i ON i.code = f.indicator_code
    WHERE f.quarter = $quarter AND list_contains($units, f.unit_code)
),
covered AS (  -- (ancestor, unit below a total) pairs left out, for facts and frontier rows alike
    SELECT DISTINCT up.anc, down.unit_code, t.indicator_code
    FROM own t
    JOIN fp up ON up.unit_code = t.unit_code
    JOIN (SELECT anc, unit_code FROM fp UNION ALL SELECT anc, unit_code FROM rp) down
         ON down.anc = t.unit_code AND down.unit_code <> t.unit_code
    WHERE t.levels = 'branch_or_total'
)
SELECT anc, $quarter, indicator_code,
       sum(total), max(maximum), sum(n_units)::INTEGER, sum(n_high)::INTEGER
FROM (
    SELECT fp.anc, f.indicator_code,
           f.value AS total, f.value AS maximum, 1 AS n_units,
           CASE WHEN f.value >= f.threshold THEN 1 ELSE 0 END AS n_high
    FROM own f
    JOIN fp ON fp.unit_code = f.unit_code
    ANTI JOIN covered h ON h.anc = fp.anc AND h.unit_code = f.unit_code AND h.indicator_code = f.indicator_code
    UNION ALL
    SELECT rp.anc, r.indicator_code, r.total, r.maximum, r.n_units, r.n_high
    FROM rollup r
    JOIN rp ON rp.unit_code = r.unit_code
    ANTI JOIN covered h ON h.anc = rp.anc AND h.unit_code = r.unit_code AND h.indicator_code = r.indicator_code
    WHERE r.quarter = $quarter AND list_contains($frontier, r.unit_code)
)
GROUP BY anc, indicator_code
