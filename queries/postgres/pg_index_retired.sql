-- pg_index_retired: indexes an earlier release built that a new one replaces (facts_unit_quarter:
-- by facts_unit_indicator_quarter); dropped when the new ones are built.
DROP INDEX IF EXISTS facts_unit_quarter
