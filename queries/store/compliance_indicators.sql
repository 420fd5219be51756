-- compliance_indicators: the indicators the 三会一课 figures are kept for, ordered by code.
SELECT indicator_code FROM compliance_indicators ORDER BY indicator_code
