-- table_names: every table the database holds (a snapshot must cover them all).
SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1
