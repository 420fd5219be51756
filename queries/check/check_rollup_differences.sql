-- check_rollup_differences: the roll-up compared with a recomputation from the active facts over
-- the closure (the aggregation of rollup_rebuild, every quarter, a committee's own total
-- replacing what lies below it).  A row differs when it is
-- missing on either side, stored more than once, or any aggregate differs (sums within a
-- billionth: the order of addition moves the last bit).  The first $limit differing rows come
-- back, each with the count of all of them.
WITH active AS (
    SELECT f.unit_code, f.quarter, f.indicator_code, f.value, i.threshold, i.levels
    FROM facts f
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN indicators i ON i.code = f.indicator_code
),
covered AS (  -- a committee's own total replaces what lies below it (as rollup_rebuild)
    SELECT DISTINCT up.ancestor, down.descendant, t.quarter, t.indicator_code
    FROM active t
    JOIN unit_closure down ON down.ancestor = t.unit_code AND down.distance > 0
         AND t.quarter BETWEEN down.valid_from AND down.valid_to
    JOIN unit_closure up ON up.descendant = t.unit_code AND t.quarter BETWEEN up.valid_from AND up.valid_to
    WHERE t.levels = 'branch_or_total'
),
fresh AS (
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
),
stored AS (
    SELECT unit_code, quarter, indicator_code, sum(total) AS total, max(maximum) AS maximum,
           sum(n_units)::INTEGER AS n_units, sum(n_high)::INTEGER AS n_high, count(*) AS copies
    FROM rollup
    GROUP BY unit_code, quarter, indicator_code
),
differing AS (
    SELECT coalesce(r.unit_code, f.unit_code) AS unit_code,
           coalesce(r.quarter, f.quarter) AS quarter,
           coalesce(r.indicator_code, f.indicator_code) AS indicator_code,
           r.total AS stored_total, f.total AS fresh_total,
           r.n_units AS stored_units, f.n_units AS fresh_units,
           coalesce(r.copies, 0) AS copies
    FROM stored r
    FULL OUTER JOIN fresh f
      ON f.unit_code = r.unit_code AND f.quarter = r.quarter AND f.indicator_code = r.indicator_code
    WHERE r.unit_code IS NULL OR f.unit_code IS NULL OR r.copies > 1
       OR NOT coalesce(abs(r.total - f.total) <= 1e-9 * greatest(1, abs(f.total)), false)
       OR NOT coalesce(abs(r.maximum - f.maximum) <= 1e-9 * greatest(1, abs(f.maximum)), false)
       OR r.n_units IS DISTINCT FROM f.n_units
       OR r.n_high IS DISTINCT FROM f.n_high
)
SELECT *, count(*) OVER () AS n_differing
FROM differing
ORDER BY unit_code, quarter, indicator_code
LIMIT $limit
