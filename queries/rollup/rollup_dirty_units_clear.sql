-- rollup_dirty_units_clear: the returns of the quarters in $quarters (empty: every quarter) are
-- refreshed.
DELETE FROM rollup_dirty_units WHERE len($quarters) = 0 OR list_contains($quarters, quarter)
