-- table_row_count: how many rows the table named $name holds (PostgreSQL has no query_table:
-- query_to_xml runs the count on the table the name quotes as an identifier).
SELECT (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', $name), false, true, '')))[1]::text::bigint
