-- branch_compliance: what each branch (level 'branch') under each unit of $groups itself reported
-- for the indicators $indicators in each quarter $from..$to (active returns only), one row per
-- group, branch, quarter and indicator.  The required frequencies (三会一课) are applied in
-- dashboard/analysis.py; a branch-quarter with no return has no rows.
WITH branches AS (
    SELECT c.ancestor AS group_code, u.code AS unit_code, u.name_zh AS unit_name_zh,
           u.name_en AS unit_name_en, u.sort_order AS unit_order
    FROM unit_closure c
    JOIN units u ON u.code = c.descendant
    WHERE list_contains($groups, c.ancestor) AND u.level = 'branch'
)
SELECT b.group_code, g.name_zh AS group_name_zh, g.name_en AS group_name_en, g.sort_order AS group_order,
       b.unit_code, b.unit_name_zh, b.unit_name_en, b.unit_order, f.quarter, f.indicator_code, f.value
FROM branches b
JOIN units g ON g.code = b.group_code
JOIN facts f ON f.unit_code = b.unit_code
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
WHERE f.quarter BETWEEN $from AND $to AND list_contains($indicators, f.indicator_code)
ORDER BY g.sort_order, b.unit_order, f.quarter, f.indicator_code
