-- Schema version 13: where each value was read, so a figure drills to its cell (学习教育!E7).
-- Returns imported before this version have no position (NULL): the app says 「位置未记录」.
ALTER TABLE facts ADD COLUMN sheet VARCHAR;
ALTER TABLE facts ADD COLUMN cell VARCHAR;
