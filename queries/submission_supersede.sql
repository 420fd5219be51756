-- submission_supersede: the active submission of $unit and $quarter steps aside for a new one;
-- it stays in the history.
UPDATE submissions SET status = 'superseded'
WHERE unit_code = $unit AND quarter = $quarter AND status = 'active'
RETURNING id
