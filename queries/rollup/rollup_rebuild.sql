-- rollup_rebuild: the subtree aggregates of every unit for the quarters in $quarters (an empty
-- list means every quarter) from the active facts, in one pass over the closure of each fact's
-- quarter (bulk loads;
-- single returns use rollup_refresh).
INSERT INTO rollup
SELECT c.ancestor AS unit_code,
       f.quarter,
       f.indicator_code,
       sum(f.value) AS total,
       max(f.value) AS maximum,
       count(*)::INTEGER AS n_units,
       count(*) FILTER (WHERE f.value >= i.threshold)::INTEGER AS n_high
FROM facts f
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
JOIN indicators i ON i.code = f.indicator_code
JOIN unit_closure c ON c.descendant = f.unit_code AND f.quarter BETWEEN c.valid_from AND c.valid_to
WHERE len($quarters) = 0 OR list_contains($quarters, f.quarter)
GROUP BY c.ancestor, f.quarter, f.indicator_code
ORDER BY c.ancestor, f.quarter, f.indicator_code
