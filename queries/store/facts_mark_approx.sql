-- facts_mark_approx: the facts of submission $submission_id written as approximations, given as
-- "unit|indicator" keys $keys, marked approx.
UPDATE facts SET approx = TRUE
WHERE submission_id = $submission_id AND list_contains($keys, unit_code || '|' || indicator_code)
