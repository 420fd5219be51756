-- catalog_insert_indicators: the indicators of data/catalog.csv, as parallel lists (SQL joins
-- read names, units and aggregation rules from here; the file stays the source of truth).
INSERT INTO indicators (code, domain, name_zh, name_en, unit_zh, unit_en, value_type, time_agg, unit_agg,
                        formula_op, formula_args, threshold, levels, sort_order, domain_order)
SELECT unnest($codes), unnest($domains), unnest($names_zh), unnest($names_en), unnest($units_zh),
       unnest($units_en), unnest($value_types), unnest($time_aggs), unnest($unit_aggs), unnest($formula_ops),
       unnest($formula_args), unnest($thresholds), unnest($levels), unnest($sort_orders), unnest($domain_orders)
