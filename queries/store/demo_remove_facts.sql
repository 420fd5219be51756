-- demo_remove_facts: the facts of every demo submission.
DELETE FROM facts WHERE submission_id IN (SELECT id FROM submissions WHERE is_demo)
