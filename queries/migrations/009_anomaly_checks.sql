-- Schema version 9: figures that deserve a second look (dashboard/domain/anomalies.py) are found
-- afresh from the facts every time; what is kept is who marked one 「已核实」 and when.  A mark
-- names its anomaly by kind, unit, quarter and indicator ('' for a whole return); a second mark
-- of the same anomaly adds a row, the latest one counts.  Every mark is also in the audit trail.
CREATE TABLE anomaly_checks (
    kind            VARCHAR NOT NULL,   -- sharp_change | stock_flow | same_as_previous | all_zero | level_outlier
    unit_code       VARCHAR NOT NULL,
    quarter         VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,   -- '' for a whole return
    verified_by     VARCHAR NOT NULL,
    verified_via    VARCHAR NOT NULL,   -- app | cli | system
    verified_at     TIMESTAMP NOT NULL,
    note            VARCHAR
);
