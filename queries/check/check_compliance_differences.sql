-- check_compliance_differences: the 三会一课 figures (compliance_values) compared with a
-- recomputation from the active facts (compliance_rebuild, every quarter).  A row differs when it
-- is missing on either side, stored more than once, or its value differs (within a billionth).
-- The first $limit differing rows come back, each with the count of all of them.
WITH fresh AS (
    SELECT f.unit_code, f.quarter, f.indicator_code, sum(f.value) AS value
    FROM facts f
    JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
    JOIN compliance_indicators c ON c.indicator_code = f.indicator_code
    GROUP BY f.unit_code, f.quarter, f.indicator_code
),
stored AS (
    SELECT unit_code, quarter, indicator_code, sum(value) AS value, count(*) AS copies
    FROM compliance_values
    GROUP BY unit_code, quarter, indicator_code
),
differing AS (
    SELECT coalesce(r.unit_code, f.unit_code) AS unit_code,
           coalesce(r.quarter, f.quarter) AS quarter,
           coalesce(r.indicator_code, f.indicator_code) AS indicator_code,
           r.value AS stored_value, f.value AS fresh_value,
           coalesce(r.copies, 0) AS copies
    FROM stored r
    FULL OUTER JOIN fresh f
      ON f.unit_code = r.unit_code AND f.quarter = r.quarter AND f.indicator_code = r.indicator_code
    WHERE r.unit_code IS NULL OR f.unit_code IS NULL OR r.copies > 1
       OR NOT coalesce(abs(r.value - f.value) <= 1e-9 * greatest(1, abs(f.value)), false)
)
SELECT *, count(*) OVER () AS n_differing
FROM differing
ORDER BY unit_code, quarter, indicator_code
LIMIT $limit
