-- data_version_bump: every committed write moves the data version on; caches of query results
-- key on it, so a write shows in every chart at once.
UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'
