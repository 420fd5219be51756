-- deadline_set: set quarter $quarter's deadline to $due (replacing one set before).
INSERT INTO deadlines (quarter, due, set_by, set_at) VALUES ($quarter, CAST($due AS DATE), $by, $at)
ON CONFLICT (quarter) DO UPDATE SET due = excluded.due, set_by = excluded.set_by, set_at = excluded.set_at
