-- table_rollup_dirty: every row of the rollup_dirty table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM rollup_dirty ORDER BY ALL
