-- submission_activate: make submission $id the active one of $unit and $quarter; the one that
-- was active is superseded (returned with its new status).
UPDATE submissions SET status = CASE WHEN id = $id THEN 'active' ELSE 'superseded' END
WHERE unit_code = $unit AND quarter = $quarter AND (id = $id OR status = 'active')
RETURNING id, status
