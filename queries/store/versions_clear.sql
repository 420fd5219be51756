-- versions_clear: drop every version before versions_insert writes the tree's history anew.
DELETE FROM unit_versions
