-- table_unit_versions: every row of the unit_versions table, in a fixed order (the health check,
-- backups and the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM unit_versions ORDER BY ALL
