-- table_submissions: every row of the submissions table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM submissions ORDER BY ALL
