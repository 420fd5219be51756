-- compliance_indicators_insert: the indicators the 三会一课 rules of data/rules.csv name.
INSERT INTO compliance_indicators SELECT unnest($codes)
