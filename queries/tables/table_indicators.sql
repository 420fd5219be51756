-- table_indicators: every row of the indicators table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM indicators ORDER BY ALL
