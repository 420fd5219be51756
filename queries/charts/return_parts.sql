-- return_parts: each unit of $units, per quarter $from..$to, split by the return its figures came
-- in (the reporting unit of the active submission): the subtree aggregates the roll-up keeps
-- (total, maximum, units with a value, units at or above the threshold) for the stored
-- indicators in $indicators.  Like-for-like changes add up only the returns that came in in both
-- periods (dashboard/domain/coverage.py combines them by the catalog's rules, as indicator_values does).
-- People and teams in a period (time rule max, unit rule sum) are split by the unit that reported
-- them too (`member`): a period's figure is each unit's own peak, then summed.
-- scope: units units
SELECT c.ancestor AS unit_code, f.quarter, s.unit_code AS return_unit, f.indicator_code,
       CASE WHEN i.time_agg = 'max' AND i.unit_agg = 'sum' THEN f.unit_code END AS member,
       sum(f.value) AS total,
       max(f.value) AS maximum,
       count(*)::INTEGER AS n_units,
       count(*) FILTER (WHERE f.value >= i.threshold)::INTEGER AS n_high
FROM facts f
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
JOIN indicators i ON i.code = f.indicator_code
JOIN unit_closure c ON c.descendant = f.unit_code AND f.quarter BETWEEN c.valid_from AND c.valid_to
WHERE list_contains($units, c.ancestor) AND f.quarter BETWEEN $from AND $to
  AND list_contains($indicators, f.indicator_code)
GROUP BY c.ancestor, f.quarter, s.unit_code, f.indicator_code, member
ORDER BY c.ancestor, f.quarter, s.unit_code, f.indicator_code, member
