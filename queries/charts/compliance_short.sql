-- compliance_short: the branch-quarters under the units of $groups that fell short of the
-- 三会一课 rules (as compliance_shares.sql, from compliance_masks), the first $limit of them in
-- tree order, with what each reported (`reported`, a list in the rules' order, 0 if left out)
-- and how many fell short in all (`n_short`, on every row).  The names are joined to the listed
-- rows only: a province has ~130,000 short branch-quarters to order, and sorting them with their
-- names took PostgreSQL most of a second.
-- scope: units groups
WITH branches AS (
    SELECT c.ancestor AS group_code, g.sort_order AS group_order, u.code AS unit_code, u.sort_order AS unit_order,
           c.valid_from, c.valid_to
    FROM unit_closure c
    JOIN units u ON u.code = c.descendant
    JOIN units g ON g.code = c.ancestor
    WHERE list_contains($groups, c.ancestor) AND u.level = 'branch'
),
short AS (
    SELECT b.group_code, b.group_order, b.unit_code, b.unit_order, m.quarter, count(*) OVER () AS n_short
    FROM branches b
    JOIN compliance_masks m ON m.unit_code = b.unit_code AND m.quarter BETWEEN b.valid_from AND b.valid_to
    WHERE m.quarter BETWEEN $from AND $to AND m.fail_mask <> 0
    ORDER BY b.group_order, b.unit_order, m.quarter
    LIMIT $limit
)
SELECT s.group_code, g.name_zh AS group_name_zh, g.name_en AS group_name_en, s.group_order, s.unit_code,
       u.name_zh AS unit_name_zh, u.name_en AS unit_name_en, s.unit_order, s.quarter,
       list(coalesce(p.value, 0) ORDER BY r.bit) AS reported, any_value(s.n_short) AS n_short
FROM short s
JOIN units g ON g.code = s.group_code
JOIN units u ON u.code = s.unit_code
CROSS JOIN compliance_rules r
LEFT JOIN compliance_values p  -- looked up for the listed rows only (one row per unit, quarter and indicator)
       ON p.unit_code = s.unit_code AND p.quarter = s.quarter AND p.indicator_code = r.indicator_code
GROUP BY ALL
ORDER BY s.group_order, s.unit_order, s.quarter
