-- check_originals: every original file the submissions record (path relative to the database's
-- folder) with the SHA-256 it must have and the submissions that point at it.
SELECT archive_path, sha256, list(id ORDER BY id) AS ids, bool_or(status = 'active') AS any_active
FROM submissions
WHERE archive_path IS NOT NULL
GROUP BY archive_path, sha256
ORDER BY archive_path, sha256
