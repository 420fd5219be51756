-- pg_writer_release: let go of the lock pg_writer_hold took.
SELECT pg_advisory_unlock(7213001)
