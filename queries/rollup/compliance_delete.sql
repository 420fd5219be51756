-- compliance_delete: drop the 三会一课 figures of the (quarter, unit) pairs $quarters[i], $units[i]
-- before compliance_refresh recomputes them.
DELETE FROM compliance_values
WHERE list_contains($units, unit_code)
  AND (quarter, unit_code) IN (SELECT (unnest($quarters), unnest($units)))
