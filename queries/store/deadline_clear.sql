-- deadline_clear: quarter $quarter's deadline goes back to the default.
DELETE FROM deadlines WHERE quarter = $quarter
