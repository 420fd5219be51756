-- unlend_bulk_facts: the lent frame bulk_facts is given back.
DROP TABLE IF EXISTS bulk_facts
