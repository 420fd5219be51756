-- check_compliance_mask_differences: the 三会一课 check kept per unit-quarter (compliance_masks)
-- compared with one made afresh from compliance_values and compliance_rules, as
-- compliance_masks_rebuild.sql makes it (the store asks only once compliance_values itself agrees
-- with the active facts: check_compliance_differences.sql).  A row differs when it is missing on
-- either side, stored more than once, or its mask differs; rows as check_compliance_differences.sql's,
-- the indicator column saying 'fail_mask'.  The first $limit, each with the count of all of them.
WITH fails_absent AS (SELECT coalesce(bit_or(CASE WHEN need > 0 THEN 1 << bit ELSE 0 END), 0) AS mask
                      FROM compliance_rules),
fresh AS (
    SELECT v.unit_code, v.quarter,
           bit_or(CASE WHEN v.value < r.need THEN 1 << r.bit ELSE 0 END) | (any_value(m.mask) & ~bit_or(1 << r.bit))
               AS fail_mask
    FROM compliance_values v
    JOIN compliance_rules r ON r.indicator_code = v.indicator_code
    CROSS JOIN fails_absent m
    GROUP BY v.unit_code, v.quarter
),
stored AS (
    SELECT unit_code, quarter, min(fail_mask) AS fail_mask, count(*) AS copies
    FROM compliance_masks
    GROUP BY unit_code, quarter
),
differing AS (
    SELECT coalesce(s.unit_code, f.unit_code) AS unit_code, coalesce(s.quarter, f.quarter) AS quarter,
           'fail_mask' AS indicator_code, CAST(s.fail_mask AS DOUBLE) AS stored_value,
           CAST(f.fail_mask AS DOUBLE) AS fresh_value, coalesce(s.copies, 0) AS copies
    FROM stored s
    FULL OUTER JOIN fresh f ON f.unit_code = s.unit_code AND f.quarter = s.quarter
    WHERE s.unit_code IS NULL OR f.unit_code IS NULL OR s.copies > 1 OR s.fail_mask <> f.fail_mask
)
SELECT *, count(*) OVER () AS n_differing
FROM differing
ORDER BY unit_code, quarter
LIMIT $limit
