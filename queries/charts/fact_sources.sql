-- fact_sources: every value behind a figure, where it was read: the active facts of $indicators
-- in $quarters for the units of each part of a figure — $own itself (its 本级 row, distance 0),
-- and each unit in $units with its whole subtree (the tree of each fact's quarter; only its own
-- row when $own_only) — with the submission that carries it (reporting unit, file, who, when,
-- template version, whether its original is kept).  sheet and cell are NULL for a value imported
-- before positions were kept.
-- scope: units units own
SELECT c.ancestor AS part, c.distance, f.unit_code, f.quarter, f.indicator_code, f.value, f.sheet, f.cell,
       s.id AS submission_id, s.unit_code AS return_unit, s.file_name, s.submitted_by, s.submitted_at,
       s.template_version, s.is_demo, s.archive_path IS NOT NULL AS has_original
FROM facts f
JOIN submissions s ON s.id = f.submission_id AND s.status = 'active'
JOIN unit_closure c ON c.descendant = f.unit_code AND f.quarter BETWEEN c.valid_from AND c.valid_to
WHERE ((c.ancestor = $own AND c.distance = 0)
       OR (list_contains($units, c.ancestor) AND (NOT $own_only OR c.distance = 0)))
  AND list_contains($quarters, f.quarter) AND list_contains($indicators, f.indicator_code)
ORDER BY c.ancestor, f.quarter, f.indicator_code, s.unit_code, f.sheet, f.cell, f.unit_code
