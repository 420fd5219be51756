-- meta_get: the value of meta key $key.
SELECT value FROM meta WHERE key = $key
