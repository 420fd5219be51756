-- compliance_masks_refresh: the 三会一课 check of the pairs ($units[i], $quarters[i]) from their
-- compliance_values (already refreshed), as compliance_masks_rebuild.sql makes it.
INSERT INTO compliance_masks
WITH pairs AS (SELECT unnest($quarters) AS quarter, unnest($units) AS unit_code),
fails_absent AS (SELECT coalesce(bit_or(CASE WHEN need > 0 THEN 1 << bit ELSE 0 END), 0) AS mask
                 FROM compliance_rules)
SELECT v.unit_code, v.quarter,
       bit_or(CASE WHEN v.value < r.need THEN 1 << r.bit ELSE 0 END) | (any_value(m.mask) & ~bit_or(1 << r.bit))
FROM compliance_values v
JOIN pairs p ON p.quarter = v.quarter AND p.unit_code = v.unit_code
JOIN compliance_rules r ON r.indicator_code = v.indicator_code
CROSS JOIN fails_absent m
WHERE list_contains($units, v.unit_code)
GROUP BY v.unit_code, v.quarter
