-- table_unit_closure: every row of the unit_closure table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM unit_closure ORDER BY ALL
