-- Schema version 4: bulk loads mark the (quarter, reporting unit) pairs whose roll-up they left
-- stale, so the refresh afterwards recomputes those returns' units and their ancestors only,
-- not whole quarters.  A quarter in rollup_dirty (older files) is still rebuilt whole.
CREATE TABLE rollup_dirty_units (
    quarter    VARCHAR NOT NULL,
    unit_code  VARCHAR NOT NULL,   -- the reporting unit whose return was loaded
    PRIMARY KEY (quarter, unit_code)
);
