-- bulk_ids: a submission id for each row of the lent frame bulk_subs (PostgreSQL has no CREATE OR
-- REPLACE TABLE; the table goes at the end of the transaction whatever happens).
CREATE TEMPORARY TABLE bulk_ids ON COMMIT DROP AS
SELECT CAST(nextval('submission_ids') AS INTEGER) AS id, unit_code, quarter, submitted_at FROM bulk_subs
