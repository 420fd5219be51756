-- ingest_active_submission: the active submission of reporting unit $unit for $quarter, if any,
-- with the SHA-256 of its file (an identical re-import is reported as already loaded).
SELECT id, sha256 FROM submissions WHERE unit_code = $unit AND quarter = $quarter AND status = 'active'
