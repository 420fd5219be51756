-- pg_migration_lock: two app instances starting at once must not both migrate: the one that gets
-- this lock migrates, the other waits and then finds nothing left to do.
SELECT pg_advisory_xact_lock(7213002)
