-- submission_active_id: the active submission of $unit and $quarter (the latest, should there be two).
SELECT max(id) FROM submissions WHERE unit_code = $unit AND quarter = $quarter AND status = 'active'
