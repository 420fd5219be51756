-- bulk_submissions_insert: record every bulk_ids row as an active submission by $user.
INSERT INTO submissions (id, unit_code, quarter, submitted_by, submitted_at, file_name, sha256,
                         template_version, status, is_demo, archive_path, warnings)
SELECT id, unit_code, quarter, $user, submitted_at, $file_name, NULL, $template_version, 'active', $is_demo,
       NULL, 0
FROM bulk_ids
