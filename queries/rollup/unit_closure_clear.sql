-- unit_closure_clear: drop every ancestor-descendant pair before unit_closure_rebuild (loading a
-- tree twice must not count a subtree twice).
DELETE FROM unit_closure
