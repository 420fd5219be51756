-- rollup_delete: drop the roll-up rows of the (quarter, unit) pairs $quarters[i], $units[i] before
-- rollup_refresh recomputes them.  The unit list lets DuckDB skip row groups by unit code.
DELETE FROM rollup
WHERE list_contains($units, unit_code)
  AND (quarter, unit_code) IN (SELECT (unnest($quarters), unnest($units)))
