-- demo_remove_submissions: every demo submission (after demo_remove_facts).
DELETE FROM submissions WHERE is_demo RETURNING id
