-- table_meta: every row of the meta table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM meta ORDER BY ALL
