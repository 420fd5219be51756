-- pg_session: how each of the app's connections plans its queries.  The chart queries unnest
-- their parameters, which PostgreSQL estimates at 1000 rows each, so their cost crosses
-- jit_above_cost and every run compiled itself with LLVM first: 1.3 s of the 2.2 s the 三会一课
-- short list took at 2,000 units (EXPLAIN ANALYZE), to save milliseconds.  Off for this session only.
SET jit = off
