-- anomaly_facts: what the anomaly checks read: every active own figure of the units in the
-- subtrees of $units (an empty list: every unit) for the quarters $from .. $to, with the unit's
-- level in that quarter, the return (submission and reporting unit) it came in, and whether the
-- indicator is a flow (time_agg 'sum').
-- scope: units units
SELECT f.unit_code, f.quarter, f.indicator_code, f.value, v.level AS unit_level,
       f.submission_id, s.unit_code AS reporting_unit, i.time_agg, i.value_type
FROM facts f
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
JOIN indicators i ON i.code = f.indicator_code
JOIN unit_versions v ON v.code = f.unit_code
     AND f.quarter BETWEEN coalesce(v.active_from, '0000Q1') AND coalesce(v.active_to, '9999Q4')
WHERE f.quarter BETWEEN $from AND $to
  AND (len($units) = 0 OR f.unit_code IN (
        SELECT c.descendant FROM unit_closure c
        WHERE list_contains($units, c.ancestor) AND f.quarter BETWEEN c.valid_from AND c.valid_to))
ORDER BY f.unit_code, f.indicator_code, f.quarter
