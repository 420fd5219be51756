-- table_facts: every row of the facts table, in a fixed order (the health check, backups and
-- the tests that prove a rejected file changed nothing compare whole tables).
SELECT * FROM facts ORDER BY ALL
