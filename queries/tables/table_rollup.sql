-- table_rollup: every row of the rollup table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM rollup ORDER BY ALL
