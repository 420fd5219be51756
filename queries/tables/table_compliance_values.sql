-- table_compliance_values: every row of the compliance_values table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM compliance_values ORDER BY ALL
