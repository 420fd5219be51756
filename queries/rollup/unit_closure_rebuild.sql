-- unit_closure_rebuild: every (ancestor, descendant) pair of the tree, a unit being its own
-- ancestor at distance 0.  Rebuilt whenever the tree is loaded.
INSERT INTO unit_closure
WITH RECURSIVE walk(ancestor, descendant, distance) AS (
    SELECT code, code, 0 FROM units
    UNION ALL
    SELECT w.ancestor, u.code, w.distance + 1
    FROM walk w JOIN units u ON u.parent_code = w.descendant
)
SELECT ancestor, descendant, distance FROM walk
