-- table_deadlines: every row of deadlines, in a fixed order (Store.snapshot).
SELECT * FROM deadlines ORDER BY quarter
