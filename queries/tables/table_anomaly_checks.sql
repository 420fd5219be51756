-- table_anomaly_checks: every row of anomaly_checks, in a fixed order (Store.snapshot).
SELECT * FROM anomaly_checks ORDER BY verified_at, kind, unit_code, quarter, indicator_code
