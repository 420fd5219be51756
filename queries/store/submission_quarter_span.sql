-- submission_quarter_span: the first and last quarter with an active return.
SELECT min(quarter), max(quarter) FROM submissions WHERE status = 'active'
