-- rollup_delete_units: drop the roll-up rows of $units for $quarter before rollup_refresh_units
-- recomputes them.
DELETE FROM rollup WHERE quarter = $quarter AND list_contains($units, unit_code)
