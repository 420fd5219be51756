-- meta_create: the key/value table that records the schema version and the data version; it
-- exists before any migration runs, so the migrations can be counted.
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)
