-- compliance_rules_clear: drop the mirror of the 三会一课 rules before compliance_rules_insert
-- writes it anew.
DELETE FROM compliance_rules
