-- deadlines_all: the quarters whose deadline is set apart from the default, with who set it and when.
SELECT quarter, due, set_by, set_at FROM deadlines ORDER BY quarter
