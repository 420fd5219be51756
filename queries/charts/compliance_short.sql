-- compliance_short: the branch-quarters under the units of $groups that fell short of the
-- 三会一课 rules (as compliance_shares.sql: indicator $indicators[i] at least $needs[i], 0 if
-- left out), the first $limit of them in tree order, with what each reported (`reported`, a
-- list in the order of $indicators, 0 if left out) and how many fell short in all (`n_short`,
-- on every row).
WITH rules AS (
    SELECT generate_subscripts($indicators, 1) - 1 AS bit, unnest($indicators) AS indicator_code,
           CAST(unnest($needs) AS DOUBLE) AS need
),
branches AS (
    SELECT c.ancestor AS group_code, u.code AS unit_code, c.valid_from, c.valid_to, u.name_zh AS unit_name_zh,
           u.name_en AS unit_name_en, u.sort_order AS unit_order
    FROM unit_closure c
    JOIN units u ON u.code = c.descendant
    WHERE list_contains($groups, c.ancestor) AND u.level = 'branch'
),
reported AS (  -- from compliance_values: each branch's own active figures (see compliance_shares.sql)
    SELECT v.unit_code, v.quarter, r.bit, v.value, v.value < r.need AS fails
    FROM compliance_values v
    JOIN rules r ON r.indicator_code = v.indicator_code
    WHERE v.quarter BETWEEN $from AND $to AND v.unit_code IN (SELECT unit_code FROM branches)
),
failed AS (
    SELECT p.unit_code, p.quarter
    FROM (SELECT unit_code, quarter, bit_or(CASE WHEN fails THEN 1 << bit ELSE 0 END) AS fails_present,
                 bit_or(1 << bit) AS present
          FROM reported GROUP BY unit_code, quarter) p
    CROSS JOIN (SELECT bit_or(CASE WHEN need > 0 THEN 1 << bit ELSE 0 END) AS fails_absent FROM rules) m
    WHERE p.fails_present | (m.fails_absent & ~p.present) <> 0
),
short AS (
    SELECT b.group_code, g.name_zh AS group_name_zh, g.name_en AS group_name_en, g.sort_order AS group_order,
           b.unit_code, b.unit_name_zh, b.unit_name_en, b.unit_order, f.quarter, count(*) OVER () AS n_short
    FROM branches b
    JOIN failed f ON f.unit_code = b.unit_code AND f.quarter BETWEEN b.valid_from AND b.valid_to
    JOIN units g ON g.code = b.group_code
    ORDER BY g.sort_order, b.unit_order, f.quarter
    LIMIT $limit
)
SELECT s.group_code, s.group_name_zh, s.group_name_en, s.group_order, s.unit_code, s.unit_name_zh,
       s.unit_name_en, s.unit_order, s.quarter,
       list(coalesce(p.value, 0) ORDER BY r.bit) AS reported, any_value(s.n_short) AS n_short
FROM short s
CROSS JOIN rules r
LEFT JOIN compliance_values p  -- looked up for the listed rows only (one row per unit, quarter and indicator)
       ON p.unit_code = s.unit_code AND p.quarter = s.quarter AND p.indicator_code = r.indicator_code
GROUP BY ALL
ORDER BY s.group_order, s.unit_order, s.quarter
