-- catalog_insert_indicators: as the DuckDB file; PostgreSQL has no list of lists, so each
-- indicator's $formula_args arrives as an array literal ('{a,b}') and is cast back to text[].
INSERT INTO indicators (code, domain, name_zh, name_en, unit_zh, unit_en, value_type, time_agg, unit_agg,
                        formula_op, formula_args, threshold, levels, sort_order, domain_order)
SELECT unnest($codes), unnest($domains), unnest($names_zh), unnest($names_en), unnest($units_zh),
       unnest($units_en), unnest($value_types), unnest($time_aggs), unnest($unit_aggs), unnest($formula_ops),
       CAST(unnest($formula_args) AS TEXT[]), unnest($thresholds), unnest($levels), unnest($sort_orders),
       unnest($domain_orders)
