-- compliance_masks_delete: the 三会一课 check of the pairs ($units[i], $quarters[i]), before
-- compliance_masks_refresh writes it anew (as compliance_delete.sql).
DELETE FROM compliance_masks
WHERE list_contains($units, unit_code)
  AND (quarter, unit_code) IN (SELECT (unnest($quarters), unnest($units)))
