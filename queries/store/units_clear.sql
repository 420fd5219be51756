-- units_clear: drop the tree before units_insert writes the new one (codes are stable; names
-- may change; facts keep their unit codes).
DELETE FROM units
