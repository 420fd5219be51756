-- submission_history: every return of the reporting units in $units for the quarters $from..$to,
-- the active one and the ones it superseded, newest first within each unit and quarter.
-- scope: units units
SELECT s.id AS submission_id, s.unit_code, u.name_zh AS unit_name_zh, u.name_en AS unit_name_en,
       u.sort_order AS unit_order, s.quarter, s.status, s.submitted_by, s.submitted_at, s.file_name,
       left(s.sha256, 12) AS sha256_prefix, s.template_version, coalesce(s.is_demo, false) AS is_demo,
       coalesce(s.warnings, 0) AS warnings,
       (SELECT count(*) FROM facts f WHERE f.submission_id = s.id) AS n_values
FROM submissions s
JOIN units u ON u.code = s.unit_code
WHERE list_contains($units, s.unit_code) AND s.quarter BETWEEN $from AND $to
ORDER BY u.sort_order, s.quarter DESC, s.submitted_at DESC, s.id DESC
