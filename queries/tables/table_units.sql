-- table_units: every row of the units table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM units ORDER BY ALL
