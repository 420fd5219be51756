-- rollup_mark_dirty: a bulk load left $quarter's roll-up stale; refresh_dirty_rollup recomputes it.
INSERT OR IGNORE INTO rollup_dirty VALUES ($quarter)
