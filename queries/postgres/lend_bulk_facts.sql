-- lend_bulk_facts: the DataFrame bulk_facts as a temporary table, from its columns as arrays.
CREATE TEMPORARY TABLE bulk_facts ON COMMIT DROP AS
SELECT * FROM unnest(CAST($reporting_unit AS TEXT[]), CAST($unit_code AS TEXT[]), CAST($quarter AS TEXT[]),
                     CAST($indicator_code AS TEXT[]), CAST($value AS DOUBLE PRECISION[]), CAST($sheet AS TEXT[]),
                     CAST($cell AS TEXT[]))
    AS t (reporting_unit, unit_code, quarter, indicator_code, value, sheet, cell)
