-- table_compliance_rules: every row of the compliance_rules table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM compliance_rules ORDER BY ALL
