-- pg_analyze: fresh planner statistics after a bulk load (PostgreSQL plans joins by them).
ANALYZE
