-- Schema version 11: the 三会一课 check per branch-quarter, kept with compliance_values in the same
-- transaction, so a province's shares count one row per branch-quarter instead of grouping its
-- figures rule by rule (PostgreSQL 2.5 s -> 0.2 s).  The rules of data/rules.csv are mirrored in
-- compliance_rules (the store rewrites the mirror, and the masks, when they change); bit i of a
-- mask is rule i (its order in rules.csv, from 0), set when the branch-quarter did not meet it.
CREATE TABLE compliance_rules (
    bit             INTEGER PRIMARY KEY,
    indicator_code  VARCHAR NOT NULL,
    need            DOUBLE NOT NULL
);
CREATE TABLE compliance_masks (
    unit_code   VARCHAR NOT NULL,
    quarter     VARCHAR NOT NULL,
    fail_mask   INTEGER NOT NULL
);
