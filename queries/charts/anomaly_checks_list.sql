-- anomaly_checks_list: the latest 「已核实」 mark of every anomaly that has one: who, from where, when.
-- scope: whole
SELECT kind, unit_code, quarter, indicator_code,
       arg_max(verified_by, verified_at) AS verified_by, arg_max(verified_via, verified_at) AS verified_via,
       max(verified_at) AS verified_at, arg_max(note, verified_at) AS note
FROM anomaly_checks
GROUP BY kind, unit_code, quarter, indicator_code
ORDER BY unit_code, quarter, indicator_code, kind
