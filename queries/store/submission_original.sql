-- submission_original: the reporting unit, quarter, file name and kept original of submission $id.
SELECT unit_code, quarter, file_name, archive_path, sha256 FROM submissions WHERE id = $id
