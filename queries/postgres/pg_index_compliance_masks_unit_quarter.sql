-- pg_index_compliance_masks_unit_quarter: a branch's 三会一课 check of a quarter (the listed rows
-- of the short list, and a return's refresh).
CREATE INDEX IF NOT EXISTS compliance_masks_unit_quarter ON compliance_masks (unit_code, quarter)
