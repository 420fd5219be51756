-- bench_plain_create: the table the plain way of importing inserts its rows into.
CREATE TABLE IF NOT EXISTS plain_facts (file VARCHAR, unit_code VARCHAR, indicator_code VARCHAR, value DOUBLE)
