-- facts_rehome_copy: the facts of unit $unit in submission $source copied into submission $target
-- as unit $to_unit, for a tree rehome that carries a whole return (the source is then
-- superseded, keeping its rows as its history); each keeps the cell it was read from, and an
-- approximate figure stays marked.
INSERT INTO facts (submission_id, unit_code, quarter, indicator_code, value, sheet, cell, approx)
SELECT $target, $to_unit, quarter, indicator_code, value, sheet, cell, approx
FROM facts WHERE submission_id = $source AND unit_code = $unit
