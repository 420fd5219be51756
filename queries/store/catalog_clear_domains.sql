-- catalog_clear_domains: drop the domains' mirror before catalog_insert_domains writes it anew.
DELETE FROM domains
