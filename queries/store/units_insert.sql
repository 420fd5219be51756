-- units_insert: the units of a tree, as parallel lists.
INSERT INTO units
SELECT unnest($codes), unnest($names_zh), unnest($names_en), unnest($levels), unnest($parents),
       unnest($active_from), unnest($active_to), unnest($sort_orders)
