-- compliance_indicators_clear: drop the mirror of the indicators the 三会一课 rules name before
-- compliance_indicators_insert writes it anew.
DELETE FROM compliance_indicators
