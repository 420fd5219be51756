-- unlend_bulk_subs: the lent frame bulk_subs is given back.
DROP TABLE IF EXISTS bulk_subs
