-- rollup_dirty_clear: the quarters in $quarters (empty: every quarter) are current again.
DELETE FROM rollup_dirty WHERE len($quarters) = 0 OR list_contains($quarters, quarter)
