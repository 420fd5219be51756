-- catalog_clear: drop the catalog's mirror (indicators) before catalog_insert_* writes it anew.
DELETE FROM indicators
