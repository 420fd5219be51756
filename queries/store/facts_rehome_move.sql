-- facts_rehome_move: the facts of unit $unit in submission $source move to submission $target,
-- as unit $to_unit (the unit itself, or the unit it merged into): a tree rehome.
UPDATE facts SET submission_id = $target, unit_code = $to_unit
WHERE submission_id = $source AND unit_code = $unit
