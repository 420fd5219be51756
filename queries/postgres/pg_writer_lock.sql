-- pg_writer_lock: the one writer across every process on this database: each write transaction
-- first takes this advisory lock (released when it commits or rolls back).  The key is any
-- fixed number; it names "the writer of the dashboard".
SELECT pg_advisory_xact_lock(7213001)
