-- pg_writer_hold: hold the writer's lock past one transaction (a writer that reads, then writes);
-- pg_writer_release lets it go.  Same key as pg_writer_lock; a session may hold both.
SELECT pg_advisory_lock(7213001)
