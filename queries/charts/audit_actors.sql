-- audit_actors: every login the audit trail names (the audit page's user filter), in order.
-- scope: admin
SELECT DISTINCT actor FROM audit ORDER BY actor
