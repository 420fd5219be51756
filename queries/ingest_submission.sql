-- ingest_submission: one submission by its $id: the reporting unit, quarter and status.
SELECT id, unit_code, quarter, status FROM submissions WHERE id = $id
