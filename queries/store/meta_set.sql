-- meta_set: set meta key $key to $value (the schema version after a migration).
UPDATE meta SET value = $value WHERE key = $key
