-- bulk_ids_drop: the temporary ids of a bulk load go once it is written.
DROP TABLE bulk_ids
