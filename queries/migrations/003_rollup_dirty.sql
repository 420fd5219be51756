-- Schema version 3: bulk loads mark the quarters whose roll-up they left stale, so the
-- refresh afterwards recomputes those quarters only (the old flag said "all or nothing").
CREATE TABLE rollup_dirty (quarter VARCHAR PRIMARY KEY);
INSERT INTO rollup_dirty
    SELECT DISTINCT quarter FROM facts WHERE (SELECT value FROM meta WHERE key = 'rollup_dirty') = '1';
DELETE FROM meta WHERE key = 'rollup_dirty';
