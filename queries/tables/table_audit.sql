-- table_audit: every row of the audit table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM audit ORDER BY ALL
