-- star_distribution: how many branches under each unit of $groups hold each star rating, taking
-- each branch's latest rating ($indicator, 1-5) reported in $from..$to (active returns only),
-- counted under the groups the branch was in when it was rated (the tree of that quarter).
-- scope: units groups
WITH branches AS (
    SELECT c.ancestor AS group_code, c.descendant AS unit_code, c.valid_from, c.valid_to
    FROM unit_closure c
    JOIN units u ON u.code = c.descendant
    WHERE list_contains($groups, c.ancestor) AND u.level = 'branch'
),
latest AS (
    SELECT b.group_code, f.unit_code, arg_max(f.value, f.quarter) AS stars
    FROM facts f
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN branches b ON b.unit_code = f.unit_code AND f.quarter BETWEEN b.valid_from AND b.valid_to
    WHERE f.indicator_code = $indicator AND f.quarter BETWEEN $from AND $to
      AND f.unit_code IN (SELECT unit_code FROM branches)
    GROUP BY b.group_code, f.unit_code
)
SELECT l.group_code, g.name_zh AS group_name_zh, g.name_en AS group_name_en, g.sort_order AS group_order,
       CAST(round(l.stars) AS INTEGER) AS stars, count(*) AS n_branches
FROM latest l
JOIN units g ON g.code = l.group_code
GROUP BY ALL
ORDER BY group_order, stars
