-- Schema version 10 (008 stays unused: a file already at version 9 would never apply an 008):
-- the 三会一课 queries read each unit's own active figures of the indicators the compliance
-- rules name from a table kept current with the roll-up, in the same transaction as every write
-- that changes active facts, instead of scanning facts joined to submissions.  The rules' minimums
-- stay parameters of the queries, so a changed minimum needs no rebuild; which indicators the
-- rules name is mirrored in compliance_indicators (the store rebuilds the values when it changes).
CREATE TABLE compliance_indicators (
    indicator_code  VARCHAR PRIMARY KEY
);
CREATE TABLE compliance_values (
    unit_code       VARCHAR NOT NULL,
    quarter         VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    value           DOUBLE NOT NULL   -- the sum of the unit's own active facts (one, normally)
);
