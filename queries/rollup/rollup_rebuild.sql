-- rollup_rebuild: the subtree aggregates of every unit for the quarters in $quarters (an empty
-- list means every quarter) from the active facts, in one pass over the closure of each fact's
-- quarter (bulk loads; single returns use rollup_refresh).
-- A unit's own figure of an indicator a committee may enter as a total (levels
-- 'branch_or_total') stands for its whole subtree: from that unit up, the figures of the units
-- below it are left out, so one figure is never counted twice.
INSERT INTO rollup
WITH active AS (
    SELECT f.unit_code, f.quarter, f.indicator_code, f.value, i.threshold, i.levels
    FROM facts f
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN indicators i ON i.code = f.indicator_code
    WHERE len($quarters) = 0 OR list_contains($quarters, f.quarter)
),
covered AS (  -- (ancestor, descendant) pairs whose facts a total between them replaces
    SELECT DISTINCT up.ancestor, down.descendant, t.quarter, t.indicator_code
    FROM active t
    JOIN unit_closure down ON down.ancestor = t.unit_code AND down.distance > 0
         AND t.quarter BETWEEN down.valid_from AND down.valid_to
    JOIN unit_closure up ON up.descendant = t.unit_code AND t.quarter BETWEEN up.valid_from AND up.valid_to
    WHERE t.levels = 'branch_or_total'
)
SELECT c.ancestor AS unit_code,
       f.quarter,
       f.indicator_code,
       sum(f.value) AS total,
       max(f.value) AS maximum,
       count(*)::INTEGER AS n_units,
       count(*) FILTER (WHERE f.value >= f.threshold)::INTEGER AS n_high
FROM active f
JOIN unit_closure c ON c.descendant = f.unit_code AND f.quarter BETWEEN c.valid_from AND c.valid_to
ANTI JOIN covered h ON h.ancestor = c.ancestor AND h.descendant = f.unit_code AND h.quarter = f.quarter
     AND h.indicator_code = f.indicator_code
GROUP BY c.ancestor, f.quarter, f.indicator_code
ORDER BY c.ancestor, f.quarter, f.indicator_code
