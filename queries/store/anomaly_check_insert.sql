-- anomaly_check_insert: mark one anomaly 「已核实」, as $by via $via at $at.
INSERT INTO anomaly_checks (kind, unit_code, quarter, indicator_code, verified_by, verified_via, verified_at, note)
VALUES ($kind, $unit, $quarter, $indicator, $by, $via, $at, $note)
