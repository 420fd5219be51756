-- check_files_without_facts: submissions of an uploaded file (a recorded SHA-256) that hold no facts.
-- A return with no figures is refused, so such a submission lost its facts.  Demo and bulk loads
-- record no file and may legitimately hold none.
SELECT s.id, s.unit_code, s.quarter, s.file_name
FROM submissions s
ANTI JOIN facts f ON f.submission_id = s.id
WHERE s.sha256 IS NOT NULL AND NOT coalesce(s.is_demo, false)
ORDER BY s.id
