-- compliance_rules: the mirror of the 三会一课 rules the masks were made by, in rule order.
SELECT bit, indicator_code, need FROM compliance_rules ORDER BY bit
