-- table_rollup_dirty_units: every row of the rollup_dirty_units table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM rollup_dirty_units ORDER BY ALL
