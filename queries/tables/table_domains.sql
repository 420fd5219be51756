-- table_domains: every row of the domains table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM domains ORDER BY ALL
