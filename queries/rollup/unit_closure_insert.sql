-- unit_closure_insert: every (ancestor, descendant) pair of the tree with the quarters it holds
-- ($valid_from[i] .. $valid_to[i]; a unit is its own ancestor at distance 0), as parallel lists
-- computed from the tree's history (domain/tree.py History.closure).
INSERT INTO unit_closure (ancestor, descendant, distance, valid_from, valid_to)
SELECT unnest($ancestors), unnest($descendants), unnest($distances), unnest($valid_from), unnest($valid_to)
