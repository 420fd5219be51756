-- catalog_insert_domains: the domains of data/domains.csv, as parallel lists.
INSERT INTO domains
SELECT unnest($codes), unnest($names_zh), unnest($names_en), unnest($sort_orders)
