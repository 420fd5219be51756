-- pg_session: how each of the app's connections plans and runs its queries, for this session only.
-- jit off: the chart queries unnest their parameters, which PostgreSQL estimates at 1000 rows
-- each, so their cost crossed jit_above_cost and each run first compiled itself with LLVM: 1.3 s
-- of the 2.2 s the 三会一课 short list took at 2,000 units (EXPLAIN ANALYZE), to save milliseconds.
-- work_mem 32 MB: the 三会一课 queries sort a province's branch-quarters, which spilled to disk at
-- the default 4 MB (a few connections per app instance: the memory is bounded).
SELECT set_config('jit', 'off', false), set_config('work_mem', '32MB', false)
