-- bulk_ids: a submission id for each row of the registered frame bulk_subs.
CREATE OR REPLACE TEMP TABLE bulk_ids AS
SELECT nextval('submission_ids')::INTEGER AS id, unit_code, quarter, submitted_at FROM bulk_subs
