-- table_row_count: how many rows the table named $name holds (backups list every table's count).
SELECT count(*) FROM query_table($name)
