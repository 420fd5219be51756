-- compliance_shares: the 三会一课 check summed per unit of $groups, one row per group and rule.
-- A branch-quarter is a branch (level 'branch') under the group with an active return for a
-- quarter in $from..$to carrying at least one of $indicators; it meets the rule for
-- indicator $indicators[i] if what it reported (0 if left out) is at least $needs[i].
--   rule: an indicator code, or 'all_ok' (every rule met); n_ok: branch-quarters meeting it.
-- The shares (n_ok / branch_quarters, in %) are taken in dashboard/analysis.py.  Each rule is a
-- bit, so a branch-quarter is one row with the mask of the rules it failed.  What a branch
-- reported is read from compliance_values (its own active figures of the indicators the rules
-- name, kept with the roll-up: dashboard/db/rollup.py), not from the raw facts.
WITH rules AS (
    SELECT generate_subscripts($indicators, 1) - 1 AS bit, unnest($indicators) AS indicator_code,
           CAST(unnest($needs) AS DOUBLE) AS need
),
branches AS (
    SELECT c.ancestor AS group_code, u.code AS unit_code, c.valid_from, c.valid_to
    FROM unit_closure c
    JOIN units u ON u.code = c.descendant
    WHERE list_contains($groups, c.ancestor) AND u.level = 'branch'
),
reported AS (  -- per branch, quarter and rule: did what it reported fall short?
    SELECT v.unit_code, v.quarter, r.bit, v.value < r.need AS fails
    FROM compliance_values v
    JOIN rules r ON r.indicator_code = v.indicator_code
    WHERE v.quarter BETWEEN $from AND $to AND v.unit_code IN (SELECT unit_code FROM branches)
),
failed AS (  -- per branch-quarter: the rules it failed, a rule left out failing if its need is above 0
    SELECT p.unit_code, p.quarter,
           p.fails_present | (m.fails_absent & ~p.present) AS fail_mask
    FROM (SELECT unit_code, quarter, bit_or(CASE WHEN fails THEN 1 << bit ELSE 0 END) AS fails_present,
                 bit_or(1 << bit) AS present
          FROM reported GROUP BY unit_code, quarter) p
    CROSS JOIN (SELECT bit_or(CASE WHEN need > 0 THEN 1 << bit ELSE 0 END) AS fails_absent FROM rules) m
),
per_group AS (  -- per group: how many branch-quarters failed each combination of rules
    SELECT b.group_code, f.fail_mask, count(*) AS n
    FROM branches b JOIN failed f ON f.unit_code = b.unit_code AND f.quarter BETWEEN b.valid_from AND b.valid_to
    GROUP BY b.group_code, f.fail_mask
),
checks AS (
    SELECT indicator_code AS rule, 1 << bit AS mask FROM rules
    UNION ALL
    SELECT 'all_ok', bit_or(1 << bit) FROM rules
)
SELECT p.group_code, g.name_zh AS group_name_zh, g.name_en AS group_name_en, g.sort_order AS group_order,
       c.rule, sum(p.n) AS branch_quarters, coalesce(sum(p.n) FILTER (WHERE p.fail_mask & c.mask = 0), 0) AS n_ok
FROM per_group p
CROSS JOIN checks c
JOIN units g ON g.code = p.group_code
GROUP BY p.group_code, g.name_zh, g.name_en, g.sort_order, c.rule
ORDER BY g.sort_order, c.rule
