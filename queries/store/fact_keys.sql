-- fact_keys: (submission, unit, indicator) of every fact of the submissions $ids: where a tree
-- rehome would put two figures of one unit and indicator into one return.
SELECT submission_id, unit_code, indicator_code
FROM facts
WHERE list_contains($ids, submission_id)
ORDER BY submission_id, unit_code, indicator_code
