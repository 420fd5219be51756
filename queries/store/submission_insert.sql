-- submission_insert: record a return as the active submission of its unit and quarter.
INSERT INTO submissions (unit_code, quarter, submitted_by, submitted_at, file_name, sha256,
                         template_version, status, is_demo, archive_path, warnings)
VALUES ($unit, $quarter, $user, $submitted_at, $file_name, $sha256,
        $template_version, 'active', $is_demo, $archive_path, $warnings)
RETURNING id
