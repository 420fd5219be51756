-- rollup_mark_dirty: a bulk load left the roll-up of reporting unit $unit's return for $quarter
-- stale; refresh_dirty_rollup recomputes it (its units and their ancestors).
INSERT OR IGNORE INTO rollup_dirty_units VALUES ($quarter, $unit)
