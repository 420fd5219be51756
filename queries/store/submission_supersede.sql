-- submission_supersede: the active submission of $unit and $quarter steps aside for a new one;
-- it stays in the history.  Its SHA-256 comes back too: when it equals the new file's, the
-- store rolls the step back and reports the new file as a duplicate.
UPDATE submissions SET status = 'superseded'
WHERE unit_code = $unit AND quarter = $quarter AND status = 'active'
RETURNING id, sha256
