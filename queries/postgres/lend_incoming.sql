-- lend_incoming: the benchmark's plain way's DataFrame incoming as a temporary table.
CREATE TEMPORARY TABLE incoming ON COMMIT DROP AS
SELECT * FROM unnest(CAST($file AS TEXT[]), CAST($unit_code AS TEXT[]), CAST($indicator_code AS TEXT[]),
                     CAST($value AS DOUBLE PRECISION[]))
    AS t (file, unit_code, indicator_code, value)
