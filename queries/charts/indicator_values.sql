-- indicator_values: the figures of $units per period from $from to $to (quarters), for
-- $indicators (an empty list means the whole catalog).  $quarters lists the quarters $from..$to
-- and $periods the period each falls in (periods.period_map: the one definition of how quarters
-- roll into half-years and years).
--   $scope = 'subtree': each unit's figure covers its whole subtree (read from the roll-up);
--   $scope = 'own':     exactly what the unit itself reported.
-- Over units the catalog's unit_agg applies (sum / max / mean); over time its time_agg
-- (flows sum, stocks take the last quarter that has data, peaks take the max; people and teams in
-- a period of several quarters — $several — each unit's own peak, summed).  Derived indicators are
-- recomputed from their stored parts after both roll-ups, never averaged.  (The figures layer,
-- dashboard/domain/figures.py, reads a stock at its period's last quarter only.)
-- scope: units units
WITH requested AS (
    SELECT code FROM indicators WHERE len($indicators) = 0 OR list_contains($indicators, code)
),
needed AS (
    SELECT code FROM requested
    UNION
    SELECT unnest(i.formula_args) FROM indicators i JOIN requested r ON r.code = i.code
),
base AS (
    SELECT unit_code, quarter, indicator_code, total, maximum, n_units, n_high
    FROM rollup
    WHERE $scope = 'subtree' AND list_contains($units, unit_code) AND quarter BETWEEN $from AND $to
    UNION ALL
    SELECT f.unit_code, f.quarter, f.indicator_code, f.value, f.value, 1,
           CASE WHEN f.value >= i.threshold THEN 1 ELSE 0 END
    FROM facts f
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN indicators i ON i.code = f.indicator_code
    WHERE $scope = 'own' AND list_contains($units, f.unit_code) AND f.quarter BETWEEN $from AND $to
),
-- one value per unit, quarter and indicator: stored ones by their unit rule; the
-- count-derived ones (branches rated, branches with >= 4 stars, branches in the tree) from
-- their source's counts, which are levels at the quarter's end and so roll over time as stocks
quarterly AS (
    SELECT b.unit_code, b.quarter, i.code AS indicator_code, i.time_agg,
           CASE i.unit_agg WHEN 'sum' THEN b.total
                           WHEN 'max' THEN b.maximum
                           WHEN 'mean' THEN b.total / nullif(b.n_units, 0) END AS value
    FROM base b JOIN indicators i ON i.code = b.indicator_code
    WHERE i.code IN (SELECT code FROM needed)
    UNION ALL
    SELECT b.unit_code, b.quarter, d.code, 'last',
           CASE d.formula_op WHEN 'count' THEN b.n_units ELSE b.n_high END
    FROM base b
    JOIN indicators d ON d.formula_op IN ('count', 'count_high') AND d.formula_args[1] = b.indicator_code
    WHERE d.code IN (SELECT code FROM needed)
    UNION ALL
    -- the branches the tree holds under the unit (scope 'own': the unit itself, if a branch) in
    -- each quarter its source indicator has figures: a share of all branches, not of those that
    -- reported (the levels are tree.BRANCH_LEVELS, those asked for a star rating)
    SELECT b.unit_code, b.quarter, d.code, 'last', count(DISTINCT v.code)
    FROM base b
    JOIN indicators d ON d.formula_op = 'branches' AND d.formula_args[1] = b.indicator_code
    JOIN unit_closure c ON c.ancestor = b.unit_code AND b.quarter BETWEEN c.valid_from AND c.valid_to
         AND ($scope = 'subtree' OR c.distance = 0)
    JOIN unit_versions v ON v.code = c.descendant AND v.level IN ('branch', 'temp_branch')
         AND b.quarter BETWEEN coalesce(v.active_from, '0000Q1') AND coalesce(v.active_to, '9999Q4')
    WHERE d.code IN (SELECT code FROM needed)
    GROUP BY b.unit_code, b.quarter, d.code
),
period_of AS (
    SELECT unnest($quarters) AS quarter, unnest($periods) AS period
),
multi AS (  -- the periods of more than one quarter
    SELECT period FROM period_of GROUP BY period HAVING count(*) > 1
),
-- people and teams in a period (time rule max, unit rule sum): each unit's own peak over the
-- period's quarters, then summed over the subtree (units test different people: the peak of the
-- quarterly sums would undercount); a total a committee entered for its subtree in a quarter
-- stands for its units' figures of that quarter, as in the roll-up
people AS (
    SELECT f.unit_code, f.quarter, f.indicator_code, f.value, i.levels
    FROM facts f
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN indicators i ON i.code = f.indicator_code AND i.time_agg = 'max' AND i.unit_agg = 'sum'
    JOIN period_of m ON m.quarter = f.quarter
    WHERE $several AND $scope = 'subtree' AND f.quarter BETWEEN $from AND $to
          AND i.code IN (SELECT code FROM needed) AND m.period IN (SELECT period FROM multi)
),
people_covered AS (  -- (ancestor, descendant) pairs whose figures a total between them replaces
    SELECT DISTINCT up.ancestor, down.descendant, t.quarter, t.indicator_code
    FROM people t
    JOIN unit_closure down ON down.ancestor = t.unit_code AND down.distance > 0
         AND t.quarter BETWEEN down.valid_from AND down.valid_to
    JOIN unit_closure up ON up.descendant = t.unit_code AND t.quarter BETWEEN up.valid_from AND up.valid_to
    WHERE t.levels = 'branch_or_total'
),
peaks AS (
    SELECT unit_code, period, indicator_code, sum(peak) AS value
    FROM (
        SELECT c.ancestor AS unit_code, m.period, p.indicator_code, p.unit_code AS member, max(p.value) AS peak
        FROM people p
        JOIN period_of m ON m.quarter = p.quarter
        JOIN unit_closure c ON c.descendant = p.unit_code AND p.quarter BETWEEN c.valid_from AND c.valid_to
        ANTI JOIN people_covered h ON h.ancestor = c.ancestor AND h.descendant = p.unit_code AND h.quarter = p.quarter
             AND h.indicator_code = p.indicator_code
        WHERE list_contains($units, c.ancestor)
        GROUP BY c.ancestor, m.period, p.indicator_code, p.unit_code
    ) each_unit
    GROUP BY unit_code, period, indicator_code
),
periodic AS (
    SELECT q.unit_code, m.period, q.indicator_code,
           CASE any_value(q.time_agg)
               WHEN 'sum' THEN sum(q.value)
               WHEN 'max' THEN coalesce(any_value(k.value), max(q.value))
               ELSE arg_max(q.value, q.quarter)
           END AS value
    FROM quarterly q
    JOIN period_of m ON m.quarter = q.quarter
    LEFT JOIN peaks k ON k.unit_code = q.unit_code AND k.period = m.period AND k.indicator_code = q.indicator_code
    GROUP BY q.unit_code, m.period, q.indicator_code
),
combined AS (
    SELECT unit_code, period, indicator_code, value FROM periodic
    UNION ALL
    -- derived from parts after the roll-ups: a ratio (as a percentage) or a sum
    SELECT p.unit_code, p.period, d.code,
           CASE d.formula_op
               WHEN 'ratio' THEN 100.0 * sum(p.value) FILTER (WHERE p.indicator_code = d.formula_args[1])
                                 / nullif(sum(p.value) FILTER (WHERE p.indicator_code = d.formula_args[2]), 0)
               ELSE sum(p.value)
           END
    FROM periodic p
    JOIN indicators d ON d.formula_op IN ('ratio', 'sum') AND list_contains(d.formula_args, p.indicator_code)
    WHERE d.code IN (SELECT code FROM requested)
    GROUP BY p.unit_code, p.period, d.code, d.formula_op, d.formula_args
)
SELECT c.unit_code, u.name_zh AS unit_name_zh, u.name_en AS unit_name_en, u.level AS unit_level,
       u.parent_code, u.sort_order AS unit_order, c.period, i.domain, i.code AS indicator_code,
       i.name_zh AS indicator_name_zh, i.name_en AS indicator_name_en,
       CASE WHEN i.value_type = 'money' THEN round(c.value, 2) ELSE c.value END AS value,  -- exact: ranks never tie by rounding
       i.unit_zh, i.unit_en, i.value_type, i.domain_order, i.sort_order AS indicator_order
FROM combined c
JOIN indicators i ON i.code = c.indicator_code
JOIN units u ON u.code = c.unit_code
WHERE c.indicator_code IN (SELECT code FROM requested) AND c.value IS NOT NULL
ORDER BY u.sort_order, c.period, i.domain_order, i.sort_order
