-- bulk_facts_insert: the facts of the registered frame bulk_facts under their submission ids,
-- sorted by unit and quarter so DuckDB's per-row-group min/max skip most of the table for
-- one unit's rows.  Exact figures (approx false): a bulk load carries no approximations.
INSERT INTO facts (submission_id, unit_code, quarter, indicator_code, value, sheet, cell, approx)
SELECT b.id, f.unit_code, f.quarter, f.indicator_code, CAST(f.value AS DOUBLE), f.sheet, f.cell, FALSE
FROM bulk_facts f JOIN bulk_ids b ON b.unit_code = f.reporting_unit AND b.quarter = f.quarter
ORDER BY f.unit_code, f.quarter, f.indicator_code
