-- rollup_clear: drop the roll-up of the quarters in $quarters (an empty list: every quarter)
-- before rollup_rebuild recomputes it.
DELETE FROM rollup WHERE len($quarters) = 0 OR list_contains($quarters, quarter)
