-- pg_index_unit_closure_ancestor: the subtree of a unit, and the ancestors of one.
CREATE INDEX IF NOT EXISTS unit_closure_ancestor ON unit_closure (ancestor, descendant)
