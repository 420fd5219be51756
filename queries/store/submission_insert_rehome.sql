-- submission_insert_rehome: the active submission a tree rehome creates for $unit and $quarter,
-- which had none, to carry rows moved from submission $source (demo or not, as that one is).
-- No file: its name and template version say where it came from, who made it and when.
INSERT INTO submissions (unit_code, quarter, submitted_by, submitted_at, file_name, sha256,
                         template_version, status, is_demo, archive_path, warnings)
SELECT $unit, $quarter, $user, $submitted_at, 'tree-rehome', NULL, 'tree-rehome', 'active', is_demo, NULL, 0
FROM submissions WHERE id = $source
RETURNING id
