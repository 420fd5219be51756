-- submission_supersede_id: submission $id steps aside (a tree rehome carried all its rows into
-- other returns); it stays in the history.
UPDATE submissions SET status = 'superseded' WHERE id = $id AND status = 'active'
