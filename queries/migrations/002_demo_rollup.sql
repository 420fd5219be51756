-- Schema version 2: demo submissions are marked so they can be removed in one step;
-- warnings and the archived file are kept with each submission; the ancestor closure
-- and the per-quarter subtree roll-up make every chart query a small indexed read.
ALTER TABLE submissions ADD COLUMN is_demo BOOLEAN DEFAULT false;
ALTER TABLE submissions ADD COLUMN archive_path VARCHAR;
ALTER TABLE submissions ADD COLUMN warnings INTEGER DEFAULT 0;
ALTER TABLE indicators ADD COLUMN domain_order INTEGER DEFAULT 0;
CREATE TABLE domains (
    code        VARCHAR PRIMARY KEY,
    name_zh     VARCHAR NOT NULL,
    name_en     VARCHAR NOT NULL,
    sort_order  INTEGER NOT NULL
);
CREATE TABLE unit_closure (
    ancestor    VARCHAR NOT NULL,
    descendant  VARCHAR NOT NULL,
    distance    INTEGER NOT NULL
);
-- For each unit, quarter and stored indicator, the aggregate of its whole subtree
-- (itself included): everything the catalog's unit rules need, all combinable upwards.
CREATE TABLE rollup (
    unit_code       VARCHAR NOT NULL,
    quarter         VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    total           DOUBLE,   -- sum of values
    maximum         DOUBLE,   -- largest value
    n_units         INTEGER,  -- units that reported a value
    n_high          INTEGER   -- of those, values >= the indicator's threshold
);
UPDATE submissions SET is_demo = false WHERE is_demo IS NULL;
