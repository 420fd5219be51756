-- table_users: every row of the users table, in a fixed order (snapshots, backups, tests).
SELECT * FROM users ORDER BY ALL
