-- compliance_shares: the 三会一课 check summed per unit of $groups, one row per group and rule.
-- A branch-quarter is a branch (level 'branch') under the group with an active return for a
-- quarter in $from..$to carrying at least one of the rules' indicators; it meets rule i
-- (compliance_rules: the rules of data/rules.csv, in order) if what it reported (0 if left out)
-- is at least the rule's minimum.
--   rule: an indicator code, or 'all_ok' (every rule met); n_ok: branch-quarters meeting it.
-- The shares (n_ok / branch_quarters, in %) are taken in dashboard/analysis.py.  Which rules each
-- branch-quarter did not meet is kept in compliance_masks (a bit per rule, with the roll-up:
-- dashboard/db/rollup.py), so a province counts one row per branch-quarter.
-- scope: units groups
WITH branches AS (
    SELECT c.ancestor AS group_code, u.code AS unit_code, c.valid_from, c.valid_to
    FROM unit_closure c
    JOIN units u ON u.code = c.descendant
    WHERE list_contains($groups, c.ancestor) AND u.level = 'branch'
),
per_group AS (  -- per group: how many branch-quarters failed each combination of rules
    SELECT b.group_code, m.fail_mask, count(*) AS n
    FROM branches b
    JOIN compliance_masks m ON m.unit_code = b.unit_code AND m.quarter BETWEEN b.valid_from AND b.valid_to
    WHERE m.quarter BETWEEN $from AND $to
    GROUP BY b.group_code, m.fail_mask
),
checks AS (
    SELECT indicator_code AS rule, 1 << bit AS mask FROM compliance_rules
    UNION ALL
    SELECT 'all_ok', bit_or(1 << bit) FROM compliance_rules
)
SELECT p.group_code, g.name_zh AS group_name_zh, g.name_en AS group_name_en, g.sort_order AS group_order,
       c.rule, sum(p.n) AS branch_quarters, coalesce(sum(p.n) FILTER (WHERE p.fail_mask & c.mask = 0), 0) AS n_ok
FROM per_group p
CROSS JOIN checks c
JOIN units g ON g.code = p.group_code
GROUP BY p.group_code, g.name_zh, g.name_en, g.sort_order, c.rule
ORDER BY g.sort_order, c.rule
