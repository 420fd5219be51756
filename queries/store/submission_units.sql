-- submission_units: the units submission $id holds facts for.
SELECT DISTINCT unit_code FROM facts WHERE submission_id = $id ORDER BY unit_code
