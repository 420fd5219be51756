-- compliance_rules_insert: the 三会一课 rules of data/rules.csv, in their order: rule $codes[i]
-- at least $needs[i] is bit i of a mask.
INSERT INTO compliance_rules
SELECT generate_subscripts($codes, 1) - 1, unnest($codes), CAST(unnest($needs) AS DOUBLE)
