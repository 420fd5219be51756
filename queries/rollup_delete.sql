-- rollup_delete: drop the roll-up rows of $units for $quarter before rollup_refresh recomputes them.
DELETE FROM rollup WHERE quarter = $quarter AND list_contains($units, unit_code)
