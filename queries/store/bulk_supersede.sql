-- bulk_supersede: the active submissions of the (unit, quarter) pairs of the registered frame
-- bulk_subs step aside for the bulk load.
UPDATE submissions SET status = 'superseded'
WHERE status = 'active' AND (unit_code, quarter) IN (SELECT (unit_code, quarter) FROM bulk_subs)
