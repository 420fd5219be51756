-- Schema version 6: the tree per quarter.  unit_versions holds every version of every unit (its
-- name, level, parent, order and whether it files a return, for the quarters active_from ..
-- active_to); units keeps each unit's latest version over its whole life (names, navigation);
-- unit_closure gives each ancestor-descendant pair the quarters it holds, so a branch that moves
-- counts in its old committee's totals up to the move and in the new one's from it.
CREATE TABLE unit_versions (
    code         VARCHAR NOT NULL,
    name_zh      VARCHAR NOT NULL,
    name_en      VARCHAR NOT NULL,
    level        VARCHAR NOT NULL,
    parent_code  VARCHAR,
    active_from  VARCHAR,
    active_to    VARCHAR,
    sort_order   INTEGER NOT NULL,
    reporting    BOOLEAN,
    merged_into  VARCHAR
);
INSERT INTO unit_versions
    SELECT code, name_zh, name_en, level, parent_code, active_from, active_to, sort_order, NULL, NULL FROM units;
ALTER TABLE units ADD COLUMN reporting BOOLEAN;
ALTER TABLE units ADD COLUMN merged_into VARCHAR;
ALTER TABLE unit_closure ADD COLUMN valid_from VARCHAR DEFAULT '0000Q1';
ALTER TABLE unit_closure ADD COLUMN valid_to VARCHAR DEFAULT '9999Q4';
UPDATE unit_closure SET valid_from = '0000Q1', valid_to = '9999Q4';
