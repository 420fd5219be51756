-- compliance_masks_rebuild: the 三会一课 check of every unit-quarter in $quarters (all if empty)
-- that reported a figure of a rule's indicator, from compliance_values (already current): bit i
-- set when rule i was not met — what was reported below its minimum, or left out when the
-- minimum is above 0.
INSERT INTO compliance_masks
WITH fails_absent AS (SELECT coalesce(bit_or(CASE WHEN need > 0 THEN 1 << bit ELSE 0 END), 0) AS mask
                      FROM compliance_rules)
SELECT v.unit_code, v.quarter,
       bit_or(CASE WHEN v.value < r.need THEN 1 << r.bit ELSE 0 END) | (any_value(m.mask) & ~bit_or(1 << r.bit))
FROM compliance_values v
JOIN compliance_rules r ON r.indicator_code = v.indicator_code
CROSS JOIN fails_absent m
WHERE len($quarters) = 0 OR list_contains($quarters, v.quarter)
GROUP BY v.unit_code, v.quarter
