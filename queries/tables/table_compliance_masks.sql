-- table_compliance_masks: every row of the compliance_masks table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM compliance_masks ORDER BY ALL
