-- submission_identical: the active submission of $unit and $quarter if its file has $sha256
-- (an identical re-import changes nothing).
SELECT id FROM submissions
WHERE unit_code = $unit AND quarter = $quarter AND status = 'active' AND sha256 = $sha256
