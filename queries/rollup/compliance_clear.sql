-- compliance_clear: drop the 三会一课 figures of the quarters in $quarters (an empty list: every
-- quarter) before compliance_rebuild recomputes them.
DELETE FROM compliance_values WHERE len($quarters) = 0 OR list_contains($quarters, quarter)
