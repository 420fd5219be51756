-- rollup_dirty_quarters: every quarter whose roll-up a bulk load left stale, whole or in part.
SELECT quarter FROM rollup_dirty UNION SELECT quarter FROM rollup_dirty_units ORDER BY quarter
