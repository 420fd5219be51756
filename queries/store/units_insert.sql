-- units_insert: the units of a tree (each in its latest version), as parallel lists.
INSERT INTO units (code, name_zh, name_en, level, parent_code, active_from, active_to, sort_order, reporting,
                   merged_into)
SELECT unnest($codes), unnest($names_zh), unnest($names_en), unnest($levels), unnest($parents),
       unnest($active_from), unnest($active_to), unnest($sort_orders), CAST(unnest($reporting) AS BOOLEAN), unnest($merged_into)
