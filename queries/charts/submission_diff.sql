-- submission_diff: what a return changed against the one it superseded: every unit and
-- indicator whose value in submission $new_id differs from (or is missing in) $old_id.
-- scope: submissions new_id old_id
WITH new AS (SELECT unit_code, indicator_code, value FROM facts WHERE submission_id = $new_id),
old AS (SELECT unit_code, indicator_code, value FROM facts WHERE submission_id = $old_id)
SELECT coalesce(n.unit_code, o.unit_code) AS unit_code, u.name_zh AS unit_name_zh, u.name_en AS unit_name_en,
       coalesce(n.indicator_code, o.indicator_code) AS indicator_code, i.name_zh AS indicator_name_zh,
       i.name_en AS indicator_name_en, o.value AS old_value, n.value AS new_value,
       n.value - o.value AS change
FROM new n
FULL OUTER JOIN old o ON o.unit_code = n.unit_code AND o.indicator_code = n.indicator_code
JOIN units u ON u.code = coalesce(n.unit_code, o.unit_code)
JOIN indicators i ON i.code = coalesce(n.indicator_code, o.indicator_code)
WHERE n.value IS DISTINCT FROM o.value
ORDER BY u.sort_order, i.domain_order, i.sort_order
