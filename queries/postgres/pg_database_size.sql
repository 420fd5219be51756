-- pg_database_size: the bytes the current database takes on disk (tables, indexes, TOAST).
SELECT pg_database_size(current_database())
