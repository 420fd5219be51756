-- bench_return_facts: the active facts of the returns ($reps[i], $qs[i]) (reporting unit, quarter),
-- which the benchmark types into generated templates.
SELECT s.unit_code AS rep, s.quarter, f.unit_code, f.indicator_code, f.value
FROM facts f
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
WHERE (s.unit_code, s.quarter) IN (SELECT (unnest($reps), unnest($qs)))
