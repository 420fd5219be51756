-- meta_defaults: a new file starts at schema version 0 and data version 0.
INSERT OR IGNORE INTO meta VALUES ('schema_version', '0'), ('data_version', '0')
