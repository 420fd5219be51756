-- catalog_indicators: the catalog's mirror as the database holds it, in the order the store
-- compares it with data/catalog.csv (a mirror that matches is not rewritten).
SELECT code, domain, name_zh, name_en, unit_zh, unit_en, value_type, time_agg, unit_agg, formula_op,
       formula_args, threshold, levels, sort_order, domain_order
FROM indicators ORDER BY code
