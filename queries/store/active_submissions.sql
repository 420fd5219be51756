-- active_submissions: the active submission of each reporting unit and quarter (the latest
-- one, should there be two, which `check` reports).
SELECT unit_code, quarter, max(id) AS id
FROM submissions
WHERE status = 'active'
GROUP BY unit_code, quarter
ORDER BY unit_code, quarter
