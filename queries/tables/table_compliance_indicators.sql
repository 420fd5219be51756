-- table_compliance_indicators: every row of the compliance_indicators table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM compliance_indicators ORDER BY ALL
