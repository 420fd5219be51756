-- compliance_masks_clear: the 三会一课 check of every branch-quarter in $quarters (all if empty),
-- before compliance_masks_rebuild writes it anew.
DELETE FROM compliance_masks WHERE len($quarters) = 0 OR list_contains($quarters, quarter)
