-- approx_marks: the figures of $units per period from $from to $to ($quarters, $periods as in
-- indicator_values) for $indicators (empty: all) that include a fact written as an approximation
-- (「50余」): with $scope 'subtree' every unit whose subtree holds one, with 'own' the unit itself.
-- A figure that includes an approximation is itself approximate (the figures layer marks the
-- indicators derived from a marked one).
-- scope: units units
WITH period_of AS (
    SELECT unnest($quarters) AS quarter, unnest($periods) AS period
)
SELECT DISTINCT c.ancestor AS unit_code, m.period, f.indicator_code
FROM facts f
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
JOIN period_of m ON m.quarter = f.quarter
JOIN unit_closure c ON c.descendant = f.unit_code AND f.quarter BETWEEN c.valid_from AND c.valid_to
     AND ($scope = 'subtree' OR c.distance = 0)
WHERE f.approx AND f.quarter BETWEEN $from AND $to AND list_contains($units, c.ancestor)
      AND (len($indicators) = 0 OR list_contains($indicators, f.indicator_code))
