-- catalog_domains: the domains' mirror as the database holds it, ordered by code.
SELECT code, name_zh, name_en, sort_order FROM domains ORDER BY code
