-- rollup_dirty_returns: the returns (quarter, reporting unit) a bulk load left unrefreshed.
SELECT quarter, unit_code FROM rollup_dirty_units
