-- bench_plain_insert: the plain way's insert of one file's rows (the registered frame incoming).
INSERT INTO plain_facts SELECT file, unit_code, indicator_code, value FROM incoming
